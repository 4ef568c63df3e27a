import type { LiveView } from '../../availability/engine.ts';
import type { LiveStates } from '../../availability/live-states.ts';
import type { DeviceState, ReasonParams } from '../../availability/states.ts';
import { CxError } from '../../shared/errors.ts';
import type { Db } from '../../store/db.ts';
import type { IngestFigures, IngestStats } from '../ingest-stats.ts';
import type { ExternalSource } from './external-source.ts';

/**
 * What the API sees of availability in external broker mode. A device of a shard this process
 * holds is answered by that shard's engine; any other from device_status, which its holder keeps
 * current. Maintenance can be switched only where the shard is held (the holder's engine owns the
 * device's state). No engine runs here: the shards run their own.
 */
export class ClusterLiveStates implements LiveStates {
  private readonly source: ExternalSource;
  private readonly statusRow;

  constructor(source: ExternalSource, db: Db) {
    this.source = source;
    this.statusRow = db.prepare(
      'SELECT state, reason, params, since_ts AS sinceTs, last_heard_ts AS lastHeardTs FROM device_status WHERE device_id = ?',
    );
  }

  get(deviceId: string): LiveView | undefined {
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

  setMaintenance(
    deviceId: string,
    on: boolean,
    setBy: string | null = null,
    plan: { readonly reason?: string | null; readonly untilTs?: number | null } = {},
  ): void {
    const engine = this.source.engineFor(deviceId);
    if (!engine)
      throw new CxError(
        'CX_SHARD_ELSEWHERE',
        `maintenance for ${deviceId}: its commune is held by another worker`,
        { params: { deviceId } },
      );
    engine.setMaintenance(deviceId, on, setBy, plan);
  }
}

/**
 * Ingest figures for the API in external broker mode: the sum over the shards this process holds.
 * Messages never enter here (the shards have their own Ingest).
 */
export class ClusterIngestStats implements IngestStats {
  private readonly source: ExternalSource;
  /** The figures of a process holding no shard: nothing counted, no spool open here. */
  private readonly idle: IngestFigures;

  constructor(source: ExternalSource, opts: { storeKind: string; spoolMaxBytes: number }) {
    this.source = source;
    this.idle = {
      accepted: 0,
      rejected: 0,
      redelivered: 0,
      duplicatesSkipped: 0,
      overloadRefusedQos0: 0,
      overloadParkedQos1: 0,
      parkedQos1: 0,
      receiveStamped: 0,
      receiveStampsMoved: 0,
      store: {
        kind: opts.storeKind,
        ok: true,
        inMemory: 0,
        written: 0,
        batches: 0,
        quarantined: 0,
        lastWriteTs: null,
        lastError: null,
        replayed: 0,
        heldAcks: 0,
        holdingAcks: 0,
        pushbacks: 0,
        stallOpens: 0,
        peakBacklog: 0,
      },
      // Workers write through their spools: a spool file carries what its next holder needs.
      directLane: null,
      spool: {
        ok: false,
        depth: 0,
        usedBytes: 0,
        maxBytes: opts.spoolMaxBytes,
        fillPct: 0,
        alarm: false,
        lastError: null,
        appendFailures: 0,
      },
    };
  }

  /** Writes out what the held shards accepted (tests wait on it). */
  async flush(): Promise<void> {
    await Promise.all(this.source.heldShards().map((s) => s.ingest.flush()));
  }

  get acceptedByDevice(): ReadonlyMap<string, number> {
    const merged = new Map<string, number>();
    for (const s of this.source.heldShards())
      for (const [id, n] of s.ingest.acceptedByDevice) merged.set(id, n);
    return merged;
  }

  stats(): IngestFigures {
    const all = this.source.heldShards().map((s) => s.ingest);
    const each = all.map((i) => i.stats());
    if (each.length === 0) return this.idle;
    const sum = (f: (s: (typeof each)[number]) => number) => each.reduce((n, s) => n + f(s), 0);
    const spools = each.map((s) => s.spool);
    return {
      accepted: sum((s) => s.accepted),
      rejected: sum((s) => s.rejected),
      redelivered: sum((s) => s.redelivered),
      duplicatesSkipped: sum((s) => s.duplicatesSkipped),
      overloadRefusedQos0: sum((s) => s.overloadRefusedQos0),
      overloadParkedQos1: sum((s) => s.overloadParkedQos1),
      parkedQos1: sum((s) => s.parkedQos1),
      directLane: null,
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
        holdingAcks: sum((s) => s.store.holdingAcks),
        pushbacks: sum((s) => s.store.pushbacks),
        stallOpens: sum((s) => s.store.stallOpens),
        peakBacklog: Math.max(...each.map((s) => s.store.peakBacklog)),
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
