import type { DeviceState } from '../availability/states.ts';
import type { Period } from '../read-model/read-model.ts';
import { clip } from './service-hours.ts';

/**
 * The accounting of one device over a period: every millisecond it counts for, in order, with
 * what it counts as. Pure: the evidence (spans) and the rules (service windows, commissioning,
 * retirement, the clock) come in, the ledger goes out. The rules, as written next to each figure:
 * - counted: from commissioning to retirement, up to now, inside the class's service hours;
 * - available: up or degraded; unavailable: down, or unreachable (against the service, with the
 *   upstream that cut it off named as root cause);
 * - maintenance: left out of the ratio and shown; unknown (the service was not running, the
 *   adapter could not judge, or no evidence at all): reported apart, never up nor down.
 */

export type Bucket = 'available' | 'unavailable' | 'maintenance' | 'unknown';

export const BUCKET_OF: Record<DeviceState, Bucket> = {
  up: 'available',
  degraded: 'available',
  down: 'unavailable',
  unreachable: 'unavailable',
  maintenance: 'maintenance',
  unknown: 'unknown',
};

/** What the engine needs of a device (from the inventory). */
export interface KpiDevice {
  readonly id: string;
  readonly name: string;
  readonly communeId: string;
  readonly type: string;
  readonly isUplink: boolean;
  readonly siteId: string;
  readonly hamletId: string;
  readonly contractor: string | null;
  /** 00:00 Vietnam time on the commissioning date. */
  readonly commissionedTs: number;
  /** 00:00 Vietnam time on the retirement date; null while in service. */
  readonly retiredTs: number | null;
}

/** One state interval as the read model gives it (clipped to the period). */
export interface EvidenceSpan {
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly startTs: number;
  readonly endTs: number;
}

export interface Segment {
  readonly startTs: number;
  readonly endTs: number;
  readonly bucket: Bucket;
  /** The recorded state, or null where no interval covers the time (no evidence: unknown). */
  readonly state: DeviceState | null;
  /** The interval's reason code (what the camera-untampered indicator reads), null without one. */
  readonly reason: string | null;
  /** For unreachable time: the upstream device named as root cause (null when not named). */
  readonly rootCauseId: string | null;
}

export interface LedgerMs {
  available: number;
  unavailable: number;
  maintenance: number;
  unknown: number;
  /** Part of `unavailable` spent unreachable behind an upstream. */
  unreachable: number;
}

export interface DeviceLedger {
  readonly device: KpiDevice;
  /** Counted time only, in time order, disjoint. */
  readonly segments: readonly Segment[];
  readonly ms: Readonly<LedgerMs>;
  /** Unreachable ms per root-cause upstream id ("" when the interval named none). */
  readonly unreachableByCause: Readonly<Record<string, number>>;
}

export const emptyMs = (): LedgerMs => ({
  available: 0,
  unavailable: 0,
  maintenance: 0,
  unknown: 0,
  unreachable: 0,
});

/** The windows a device counts in: service windows ∩ [commissioning, retirement) ∩ [.., now). */
export function countedWindows(device: KpiDevice, service: readonly Period[], nowTs: number): Period[] {
  const from = device.commissionedTs;
  const to = Math.min(device.retiredTs ?? Number.POSITIVE_INFINITY, nowTs);
  return clip(service, from, to);
}

function rootCause(span: EvidenceSpan): string | null {
  if (span.state !== 'unreachable') return null;
  const id = span.params.deviceId ?? span.params.upstreamId;
  return typeof id === 'string' ? id : null;
}

/**
 * The ledger of one device. `spans` are its intervals in start order, disjoint (the read model's
 * contract); time a counted window has and no span covers is unknown.
 */
export function deviceLedger(
  device: KpiDevice,
  spans: readonly EvidenceSpan[],
  windows: readonly Period[],
): DeviceLedger {
  const segments: Segment[] = [];
  const ms = emptyMs();
  const byCause: Record<string, number> = {};
  const add = (startTs: number, endTs: number, span: EvidenceSpan | null) => {
    if (endTs <= startTs) return;
    const bucket = span ? BUCKET_OF[span.state] : 'unknown';
    const cause = span ? rootCause(span) : null;
    segments.push({
      startTs,
      endTs,
      bucket,
      state: span?.state ?? null,
      reason: span?.reason ?? null,
      rootCauseId: cause,
    });
    ms[bucket] += endTs - startTs;
    if (span?.state === 'unreachable') {
      ms.unreachable += endTs - startTs;
      byCause[cause ?? ''] = (byCause[cause ?? ''] ?? 0) + endTs - startTs;
    }
  };
  let i = 0;
  for (const w of windows) {
    let t = w.fromTs;
    while (i < spans.length && spans[i]!.endTs <= t) i++;
    for (let j = i; j < spans.length && t < w.toTs; j++) {
      const s = spans[j]!;
      if (s.startTs >= w.toTs) break;
      if (s.startTs > t) add(t, Math.min(s.startTs, w.toTs), null);
      const a = Math.max(s.startTs, t);
      const b = Math.min(s.endTs, w.toTs);
      add(a, b, s);
      t = Math.max(t, b);
    }
    add(t, w.toTs, null);
  }
  return { device, segments, ms, unreachableByCause: byCause };
}

/** Adds ledgers' milliseconds (a group's device-time-weighted total). */
export function sumLedgerMs(parts: Iterable<Readonly<LedgerMs>>): LedgerMs {
  const out = emptyMs();
  for (const p of parts) {
    out.available += p.available;
    out.unavailable += p.unavailable;
    out.maintenance += p.maintenance;
    out.unknown += p.unknown;
    out.unreachable += p.unreachable;
  }
  return out;
}

/** 100 × available / (available + unavailable), to 2 decimals; null when nothing was judged. */
export function availablePct(ms: Readonly<LedgerMs>): number | null {
  const judged = ms.available + ms.unavailable;
  return judged > 0 ? Math.round((10_000 * ms.available) / judged) / 100 : null;
}

export interface Outage {
  readonly deviceId: string;
  /** Start of its first and end of its last counted millisecond. */
  readonly startTs: number;
  readonly endTs: number;
  /** Counted (service-hour) milliseconds spent down or unreachable. */
  readonly countedMs: number;
  /** The first root cause named while unreachable, if any. */
  readonly rootCauseId: string | null;
}

/**
 * Outages: maximal stretches of counted time spent down or unreachable. Time outside the counted
 * windows (night for Wi-Fi) neither ends nor lengthens an outage; counted time in any other bucket
 * (up, maintenance, unknown) ends it. An outage cut by the period's edge counts in this period.
 */
export function outages(ledger: DeviceLedger): Outage[] {
  const out: Outage[] = [];
  let cur: { startTs: number; endTs: number; countedMs: number; rootCauseId: string | null } | null = null;
  for (const s of ledger.segments) {
    if (s.bucket !== 'unavailable') {
      if (cur) out.push({ deviceId: ledger.device.id, ...cur });
      cur = null;
      continue;
    }
    if (!cur) cur = { startTs: s.startTs, endTs: s.endTs, countedMs: 0, rootCauseId: null };
    cur.endTs = s.endTs;
    cur.countedMs += s.endTs - s.startTs;
    cur.rootCauseId ??= s.rootCauseId;
  }
  if (cur) out.push({ deviceId: ledger.device.id, ...cur });
  return out;
}
