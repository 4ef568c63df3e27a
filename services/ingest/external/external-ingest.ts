import type { Config } from '../../../config/load.ts';
import type { AvailabilityEngine } from '../../availability/engine.ts';
import type { IntervalLog } from '../../availability/interval-log.ts';
import { ServiceRuns } from '../../availability/service-runs.ts';
import type { DeviceDirectory } from '../../inventory/device-directory.ts';
import type { EventBus } from '../../shared/bus.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Db } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { Ingest } from '../ingest.ts';
import type { RejectLog } from '../reject-log.ts';
import { Spool } from '../spool.ts';
import { ClusterAvailability, ClusterIngest } from './cluster-view.ts';
import { ExternalSource } from './external-source.ts';

export interface ExternalIngestDeps {
  readonly config: Config;
  readonly db: Db;
  readonly store: Store;
  readonly rejects: RejectLog;
  readonly bus: EventBus;
  readonly directory: DeviceDirectory;
  readonly intervals: IntervalLog;
  readonly clock: () => number;
  readonly log: Logger;
}

/**
 * startApp's ingest side when `ingest.source` is `external`: no embedded broker; this process
 * joins the ingest workers and holds its share of the communes. The availability and ingest it
 * returns are views for the API over the shards held here and the database (cluster-view.ts).
 */
export function startExternalIngest(d: ExternalIngestDeps) {
  const { config } = d;
  const source = new ExternalSource(d);
  const availability: AvailabilityEngine = new ClusterAvailability(
    source,
    {
      directory: d.directory,
      intervals: d.intervals,
      runs: new ServiceRuns(d.db),
      clock: d.clock,
      checkIntervalMs: config.service.availability.checkIntervalMs,
      aliveIntervalMs: config.service.availability.aliveIntervalMs,
      onChange: () => {},
      log: d.log,
    },
    d.db,
  );
  const ingest: Ingest = new ClusterIngest(source, {
    directory: d.directory,
    availability,
    store: d.store,
    rejects: d.rejects,
    // Never opened: the view's own writer and spool are unused (each shard has its own).
    spool: new Spool('/dev/null/unused', { ...config.service.spool, log: d.log }),
    db: d.db,
    clock: d.clock,
    batchMaxSize: config.service.ingest.batchMaxSize,
    batchMaxDelayMs: config.service.ingest.batchMaxDelayMs,
    log: d.log,
  });
  source.start();
  const url = new URL(config.service.ingest.external!.url);
  return {
    source,
    availability,
    ingest,
    mqttUrl: `${url.protocol}//${url.host}`,
    mqttPort: Number(url.port || (url.protocol === 'mqtts:' ? 8883 : 1883)),
    brokerStats: () => ({
      external: true,
      workerId: source.workerId,
      shards: source.heldShards().map((s) => s.stats()),
    }),
    /** Shards stop cleanly (spools drained to the store) and their leases go back to the peers. */
    stop: () => source.stop(),
  };
}
