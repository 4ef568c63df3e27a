import { StoreError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import {
  BUCKET_MS,
  type PruneCounts,
  type PrunePolicy,
  type RangeQuery,
  type Reading,
  type RollupResolution,
  type RollupRow,
  type Store,
  wholeBuckets,
} from '../store.ts';

/** Rollup table per resolution; same key as `readings`, ts is the bucket start. */
const ROLLUP_TABLES: Readonly<Record<RollupResolution, string>> = {
  '1m': 'readings_1m',
  '1h': 'readings_1h',
};

/**
 * The embedded default: readings in the service's own SQLite file, one row per key, and their
 * rollups in readings_1m / readings_1h. State intervals live in the same file but belong to the
 * availability engine: nothing here reads or deletes them.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Db;
  private closed = false;

  constructor(db: Db) {
    this.db = db;
  }

  async start(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS readings (
      commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
      value REAL NOT NULL, PRIMARY KEY (device_id, metric, ts, commune_id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS readings_ts ON readings (ts);`);
    for (const table of Object.values(ROLLUP_TABLES)) {
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
        commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
        min REAL NOT NULL, max REAL NOT NULL, mean REAL NOT NULL, count INTEGER NOT NULL,
        PRIMARY KEY (device_id, metric, ts, commune_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ${table}_ts ON ${table} (ts);`);
    }
  }

  async write(readings: readonly Reading[]): Promise<void> {
    this.assertOpen('write');
    if (readings.length === 0) return;
    try {
      const stmt = this.db.prepare(
        'INSERT OR REPLACE INTO readings (commune_id, device_id, metric, ts, value) VALUES (?, ?, ?, ?, ?)',
      );
      this.db.transaction((rows: readonly Reading[]) => {
        for (const r of rows) stmt.run(r.communeId, r.deviceId, r.metric, r.ts, r.value);
      })(readings);
    } catch (cause) {
      throw new StoreError(`write batch of ${readings.length}`, { cause });
    }
  }

  async query(range: RangeQuery): Promise<Reading[]> {
    const where = ['ts >= @fromTs', 'ts < @toTs'];
    if (range.communeId !== undefined) where.push('commune_id = @communeId');
    if (range.deviceId !== undefined) where.push('device_id = @deviceId');
    if (range.metric !== undefined) where.push('metric = @metric');
    return this.db
      .prepare(
        `SELECT commune_id AS communeId, device_id AS deviceId, metric, ts, value FROM readings
         WHERE ${where.join(' AND ')} ORDER BY ts, device_id, metric LIMIT @limit`,
      )
      .all({ ...range, limit: range.limit ?? 10_000 }) as Reading[];
  }

  async latest(filter: { communeId?: string; deviceId?: string }): Promise<Reading[]> {
    const where: string[] = [];
    if (filter.communeId !== undefined) where.push('commune_id = @communeId');
    if (filter.deviceId !== undefined) where.push('device_id = @deviceId');
    return this.db
      .prepare(
        `SELECT commune_id AS communeId, device_id AS deviceId, metric, MAX(ts) AS ts, value FROM readings
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY device_id, metric, commune_id
         ORDER BY device_id, metric`,
      )
      .all(filter) as Reading[];
  }

  async rollup(fromTs: number, toTs: number): Promise<void> {
    this.assertOpen('rollup');
    const ranges = (['1m', '1h'] as const).map((res) => ({ res, ...wholeBuckets(fromTs, toTs, res) }));
    try {
      this.db.transaction(() => {
        for (const { res, fromTs: from, toTs: to } of ranges) {
          if (from >= to) continue;
          const size = BUCKET_MS[res];
          // SQLite's % keeps the dividend's sign; the double modulo floors pre-1970 ts too.
          this.db
            .prepare(
              `INSERT OR REPLACE INTO ${ROLLUP_TABLES[res]} (commune_id, device_id, metric, ts, min, max, mean, count)
               SELECT commune_id, device_id, metric, ts - ((ts % ${size}) + ${size}) % ${size} AS bucket,
                 MIN(value), MAX(value), AVG(value), COUNT(*)
               FROM readings WHERE ts >= ? AND ts < ? GROUP BY device_id, metric, bucket, commune_id`,
            )
            .run(from, to);
        }
      })();
    } catch (cause) {
      throw new StoreError(`rollup [${fromTs}, ${toTs})`, { cause });
    }
  }

  async queryRollup(range: RangeQuery & { readonly resolution: RollupResolution }): Promise<RollupRow[]> {
    this.assertOpen('queryRollup');
    const table = ROLLUP_TABLES[range.resolution];
    if (table === undefined) throw new StoreError(`queryRollup: no resolution "${range.resolution}"`);
    const where = ['ts >= @fromTs', 'ts < @toTs'];
    if (range.communeId !== undefined) where.push('commune_id = @communeId');
    if (range.deviceId !== undefined) where.push('device_id = @deviceId');
    if (range.metric !== undefined) where.push('metric = @metric');
    const { fromTs, toTs, communeId, deviceId, metric } = range;
    return this.db
      .prepare(
        `SELECT commune_id AS communeId, device_id AS deviceId, metric, ts, min, max, mean, count FROM ${table}
         WHERE ${where.join(' AND ')} ORDER BY ts, device_id, metric, commune_id LIMIT @limit`,
      )
      .all({ fromTs, toTs, communeId, deviceId, metric, limit: range.limit ?? 10_000 }) as RollupRow[];
  }

  async prune(policy: PrunePolicy): Promise<PruneCounts> {
    this.assertOpen('prune');
    const del = (table: string, beforeTs: number): number =>
      this.db.prepare(`DELETE FROM ${table} WHERE commune_id = ? AND ts < ?`).run(policy.communeId, beforeTs)
        .changes;
    try {
      return this.db.transaction(() => ({
        raw: del('readings', policy.rawBeforeTs),
        minute: del(ROLLUP_TABLES['1m'], policy.minuteBeforeTs),
        hour: del(ROLLUP_TABLES['1h'], policy.hourBeforeTs),
      }))();
    } catch (cause) {
      throw new StoreError(`prune commune ${policy.communeId}`, { cause });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new StoreError(`${what} after close`);
  }
}
