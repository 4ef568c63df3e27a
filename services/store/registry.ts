import { join } from 'node:path';
import { type StoreConfig, StoreConfigSchema } from '../../config/schema/service.ts';
import type { Logger } from '../shared/logger.ts';
import { type Configurable, defineRegistry, type Registered } from '../shared/registry.ts';
import type { Db } from './db.ts';
import { SqliteStoreConfigSchema, sqliteExampleConfig } from './embedded/config.ts';
import { SqliteStore } from './embedded/sqlite-store.ts';
import { InfluxStoreConfigSchema, influxExampleConfig } from './influxdb/config.ts';
import { InfluxStore } from './influxdb/influx-store.ts';
import type { Store } from './store.ts';

export type StoreKind = StoreConfig['kind'];

/** What a store needs from the service: its own config section, the data folder, the SQLite handle and a logger. */
export interface StoreContext<K extends StoreKind = StoreKind> {
  readonly config: Extract<StoreConfig, { kind: K }>;
  /** The service's data folder: an embedded store keeps its files here. */
  readonly dataDir: string;
  /** The service's main database (inventory, intervals, …). */
  readonly db: Db;
  readonly log: Logger;
}

/**
 * One store implementation. `kind` is kept in config (`store.kind`): never rename it. Its
 * `configSchema` is the `store:` section for this kind, an option of StoreConfigSchema, so it runs
 * when the service file is loaded.
 */
export interface StoreFactory<K extends StoreKind = StoreKind>
  extends Registered,
    Configurable<Extract<StoreConfig, { kind: K }>> {
  readonly kind: K;
  /** Builds the store without connecting; the caller runs `start()`. Throws only on a bug. */
  create(ctx: StoreContext<K>): Store;
}

type AnyStoreFactory = { [K in StoreKind]: StoreFactory<K> }[StoreKind];

const sqlite: StoreFactory<'sqlite'> = {
  kind: 'sqlite',
  label: { vi: 'SQLite (nhúng, mặc định)', en: 'SQLite (embedded, default)' },
  configSchema: SqliteStoreConfigSchema,
  exampleConfig: sqliteExampleConfig,
  create: ({ dataDir, db }) => new SqliteStore({ file: join(dataDir, 'readings.sqlite'), legacyDb: db }),
};

const influxdb: StoreFactory<'influxdb'> = {
  kind: 'influxdb',
  label: { vi: 'InfluxDB (máy chủ chuỗi thời gian)', en: 'InfluxDB (time-series server)' },
  configSchema: InfluxStoreConfigSchema,
  exampleConfig: influxExampleConfig,
  create: ({ config, log }) => new InfluxStore(config, { log }),
};

/** Every store, once. A test checks that each implementation folder is listed here. */
export const STORES: readonly AnyStoreFactory[] = [sqlite, influxdb];

function toMap(list: readonly AnyStoreFactory[]): ReadonlyMap<string, AnyStoreFactory> {
  const map = defineRegistry('store', list);
  // Every kind the config schema accepts must have an implementation, or boot would fail later.
  for (const option of StoreConfigSchema.options) {
    const kind = option.shape.kind.value;
    if (!map.has(kind)) throw new Error(`store kind "${kind}" is in the config schema but not registered`);
  }
  return map;
}

/** Built at import (boot), so a duplicate or missing kind stops the service before it starts. */
export const stores = toMap(STORES);

/** The store for `ctx.config.kind`, not yet started. */
export function createStore(ctx: StoreContext): Store {
  const factory = stores.get(ctx.config.kind);
  if (!factory) throw new Error(`unknown store kind "${ctx.config.kind}"`);
  // The map is keyed by kind, so the factory and the config section agree.
  return (factory as StoreFactory).create(ctx);
}
