import { type AvailabilityDeps, AvailabilityEngine, type LiveView } from '../../availability/engine.ts';
import type { DeviceState, ReasonParams } from '../../availability/states.ts';
import { CxError } from '../../shared/errors.ts';
import { Ingest, type IngestDeps } from '../ingest.ts';
import type { ExternalSource } from './external-source.ts';

/**
 * What the API sees of availability in external broker mode. A device of a shard this process
 * holds is answered by that shard's engine; any other from device_status, which its holder keeps
 * current. Maintenance can be switched only where the shard is held (the holder's engine owns the
 * device's state). The engine machinery itself never runs here: the shards run their own.
 */
export class ClusterAvailability extends AvailabilityEngine {
  private readonly source: ExternalSource;
  private readonly statusRow;

  constructor(source: ExternalSource, deps: AvailabilityDeps, db: IngestDeps['db']) {
    super(deps);
    this.source = source;
    this.statusRow = db.prepare(
      'SELECT state, reason, params, since_ts AS sinceTs, last_heard_ts AS lastHeardTs FROM device_status WHERE device_id = ?',
    );
  }

  override start(): void {}
  override stop(): void {}
  override check(): void {}
  override flushHeard(): void {}
  override heard(): void {}
  override status(): void {}

  override get(deviceId: string): LiveView | undefined {
    const engine = this.source.engineFor(deviceId);
    if (engine) return engine.get(deviceId);
    const row = this.statusRow.get(deviceId) as
      | {
          state: DeviceState;
          reason: string;
          params: string | null;
          sinceTs: number;
          lastHeardTs: number | null;
        }
      | undefined;
    if (!row) return undefined;
    return { ...row, params: row.params ? (JSON.parse(row.params) as ReasonParams) : {} };
  }

  override setMaintenance(deviceId: string, on: boolean): void {
    const engine = this.source.engineFor(deviceId);
    if (!engine)
      throw new CxError(
        'CX_SHARD_ELSEWHERE',
        `maintenance for ${deviceId}: its commune is held by another worker`,
        { params: { deviceId } },
      );
    engine.setMaintenance(deviceId, on);
  }
}

/**
 * Ingest figures for the API in external broker mode: the sum over the shards this process holds.
 * Messages never enter here (the shards have their own Ingest), so accept() is refused.
 */
export class ClusterIngest extends Ingest {
  private readonly source: ExternalSource;

  constructor(source: ExternalSource, deps: IngestDeps) {
    super(deps);
    this.source = source;
  }

  override start(): void {}
  override async stop(): Promise<void> {}

  override accept(): void {
    throw new Error('ClusterIngest.accept: messages go to the shard that holds their commune');
  }

  override async flush(): Promise<void> {
    await Promise.all(this.source.heldShards().map((s) => s.ingest.flush()));
  }

  override stats(): ReturnType<Ingest['stats']> {
    const all = this.source.heldShards().map((s) => s.ingest);
    // Refreshed here, where the API reads it (right after stats()).
    this.acceptedByDevice.clear();
    for (const i of all) for (const [id, n] of i.acceptedByDevice) this.acceptedByDevice.set(id, n);
    const each = all.map((i) => i.stats());
    const base = super.stats();
    if (each.length === 0) return base;
    const sum = (f: (s: (typeof each)[number]) => number) => each.reduce((n, s) => n + f(s), 0);
    const spools = each.map((s) => s.spool);
    return {
      accepted: sum((s) => s.accepted),
      rejected: sum((s) => s.rejected),
      redelivered: sum((s) => s.redelivered),
      duplicatesSkipped: sum((s) => s.duplicatesSkipped),
      receiveStamped: sum((s) => s.receiveStamped),
      receiveStampsMoved: sum((s) => s.receiveStampsMoved),
      store: {
        ...each[0]!.store,
        ok: each.every((s) => s.store.ok),
        inMemory: sum((s) => s.store.inMemory),
        written: sum((s) => s.store.written),
        batches: sum((s) => s.store.batches),
        quarantined: sum((s) => s.store.quarantined),
        replayed: sum((s) => s.store.replayed),
        heldAcks: sum((s) => s.store.heldAcks),
        lastWriteTs: Math.max(...each.map((s) => s.store.lastWriteTs ?? 0)) || null,
        lastError: each.find((s) => s.store.lastError)?.store.lastError ?? null,
      },
      spool: {
        ...spools[0]!,
        ok: spools.every((s) => s.ok),
        depth: sum((s) => s.spool.depth),
        usedBytes: sum((s) => s.spool.usedBytes),
        maxBytes: sum((s) => s.spool.maxBytes),
        fillPct: Math.max(...spools.map((s) => s.fillPct)),
        alarm: spools.some((s) => s.alarm),
        lastError: spools.find((s) => s.lastError)?.lastError ?? null,
        appendFailures: sum((s) => s.spool.appendFailures),
      },
    };
  }
}
