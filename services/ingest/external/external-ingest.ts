import type { Config } from '../../../config/load.ts';
import type { IntervalLog } from '../../availability/interval-log.ts';
import type { DeviceDirectory } from '../../inventory/device-directory.ts';
import type { Reason } from '../../protocol/reasons.ts';
import type { EventBus } from '../../shared/bus.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Db } from '../../store/db.ts';
import type { Store } from '../../store/store.ts';
import type { RejectLog } from '../reject-log.ts';
import { ClusterIngestStats, ClusterLiveStates } from './cluster-view.ts';
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
  readonly onStored?: (minTs: number) => void;
}

/**
 * startApp's ingest side when `ingest.source` is `external`: no embedded broker; this process
 * joins the ingest workers and holds its share of the communes. The availability and ingest it
 * returns are the API's LiveStates and IngestStats over the shards held here and the database
 * (cluster-view.ts).
 */
export function startExternalIngest(d: ExternalIngestDeps) {
  const { config } = d;
  const source = new ExternalSource(d);
  const availability = new ClusterLiveStates(source, d.db);
  const ingest = new ClusterIngestStats(source, {
    storeKind: d.store.kind,
    spoolMaxBytes: config.service.spool.maxBytes,
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
    /** Only where this process holds the commune now: another holder's engine owns the others' state. */
    notWatched: (deviceIds: readonly string[], reason: Reason) => {
      for (const id of deviceIds) source.engineFor(id)?.status(id, 'unknown', d.clock(), reason);
    },
    /** Shards stop cleanly (spools drained to the store) and their leases go back to the peers. */
    stop: () => source.stop(),
  };
}
