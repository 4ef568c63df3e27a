import type { DeviceState, ReasonParams } from '../availability/states.ts';
import type { RangeQuery, RollupResolution, RollupRow } from '../store/store.ts';

/**
 * The read model: what KPIs, reports, alerts and charts read of the evidence. State intervals,
 * device events and rollups, over any period, for any set of devices (a device, a site, a hamlet,
 * a commune: scope.ts turns a scope into devices). Reads only; the availability engine and ingest
 * write. Times are epoch ms UTC throughout.
 */

/** A half-open period [fromTs, toTs), epoch ms. */
export interface Period {
  readonly fromTs: number;
  readonly toTs: number;
}

/** One state interval of one device, clipped to the period asked for. */
export interface Span {
  readonly deviceId: string;
  readonly communeId: string;
  readonly state: DeviceState;
  /** Reason code, rendered through the catalogue as `reason.<code>`, with its params. */
  readonly reason: string;
  readonly params: ReasonParams;
  /** max(interval start, period.fromTs). */
  readonly startTs: number;
  /** min(interval end, period.toTs); an interval still open ends at min(now, period.toTs). */
  readonly endTs: number;
  /** The interval is still open: the device is in this state now. */
  readonly open: boolean;
}

/** An event a device reported (channel `event`), as stored; key (deviceId, ts, type). */
export interface DeviceEvent {
  readonly deviceId: string;
  readonly communeId: string;
  /** Device time (our receive time when the device sent none). */
  readonly ts: number;
  /** Our clock when the broker accepted the message. */
  readonly receivedTs: number;
  readonly type: string;
  readonly severity: string;
  /** The device's own detail document, or null. */
  readonly detail: unknown;
}

/** Rollup rows at the resolution chosen for the period. */
export interface RollupRead {
  readonly resolution: RollupResolution;
  /** Bucket length in ms (60,000 or 3,600,000). */
  readonly bucketMs: number;
  readonly rows: readonly RollupRow[];
}

export interface ReadModel {
  /**
   * Every state interval of `deviceIds` that overlaps `period`, clipped to it, complete (no row
   * cap: read a page at a time, so a flapping device's year streams in bounded memory). Ordered
   * by the interval's own start, then device id, then insertion: startTs never decreases. Spans
   * that clip to nothing (empty, or starting after `now`) are left out, so one device's spans
   * tile [max(fromTs, first evidence), min(toTs, now)) with no gap or overlap. Unknown device ids
   * yield nothing. `now` is read once, when iteration starts.
   */
  spans(deviceIds: readonly string[], period: Period): Iterable<Span>;
  /**
   * Events of `deviceIds` with ts in `period`, ordered by ts, then device id, then insertion: the
   * earliest `limit` of them (ask again from the last ts to go on; events of that same ts repeat).
   * `types`: only events of these types (the limit then counts only those).
   */
  events(
    deviceIds: readonly string[],
    period: Period,
    limit: number,
    opts?: { types?: readonly string[] },
  ): DeviceEvent[];
  /**
   * Rollups of the store (RangeQuery filters, bucket start in [fromTs, toTs)), at the resolution
   * `rollupResolution` chooses for the period. Rejects with StoreError like Store.queryRollup.
   */
  rollups(query: RangeQuery): Promise<RollupRead>;
}

/** Up to this span, 1-minute buckets (at most 2,880 per series); beyond, 1-hour buckets. */
export const MINUTE_ROLLUPS_UP_TO_MS = 2 * 86_400_000;

/** The rollup resolution for a period: 1-minute up to two days, 1-hour beyond. */
export function rollupResolution(period: Period): RollupResolution {
  return period.toTs - period.fromTs <= MINUTE_ROLLUPS_UP_TO_MS ? '1m' : '1h';
}
