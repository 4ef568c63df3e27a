import type { DeviceState } from '../availability/states.ts';
import { BUCKET_OF } from './ledger.ts';

export interface StateSpan {
  readonly state: DeviceState;
  readonly startTs: number;
  /** null: still open, counted up to the window's end. */
  readonly endTs: number | null;
}

/** Milliseconds of a window by what they count as. */
export interface UptimeMs {
  /** up + degraded: the service was there, if slower. */
  readonly available: number;
  /** down + unreachable: counts against the device (unreachable against its uplink too). */
  readonly unavailable: number;
  /** Planned work: left out of the denominator, so maintenance never lowers uptime. */
  readonly maintenance: number;
  /** Monitoring could not judge (service restart, awaiting evidence): never guessed as up or down. */
  readonly unknown: number;
}

export interface Uptime {
  /** 100 × available / (available + unavailable); null when nothing was judged in the window. */
  readonly availablePct: number | null;
  /** 100 × unknown / (available + unavailable + unknown): how much of the window monitoring did not see. */
  readonly unknownPct: number | null;
  readonly ms: UptimeMs;
}

/**
 * Availability over [fromTs, toTs) from state intervals (the evidence kept in state_intervals).
 * Each span is clipped to the window; time no span covers (before commissioning) is not counted
 * at all. Spans of several devices may be passed together: their milliseconds add up, so the
 * result is the device-time-weighted availability of the group. Pure, no I/O.
 */
export function uptimePct(spans: Iterable<StateSpan>, fromTs: number, toTs: number): Uptime {
  const ms = { available: 0, unavailable: 0, maintenance: 0, unknown: 0 };
  for (const s of spans) {
    const start = Math.max(s.startTs, fromTs);
    const end = Math.min(s.endTs ?? toTs, toTs);
    if (end > start) ms[BUCKET_OF[s.state]] += end - start;
  }
  return fromMs(ms);
}

/** Percentages of accumulated milliseconds (e.g. several devices or communes summed). */
export function fromMs(ms: UptimeMs): Uptime {
  const judged = ms.available + ms.unavailable;
  const seen = judged + ms.unknown;
  return {
    availablePct: judged > 0 ? round2((100 * ms.available) / judged) : null,
    unknownPct: seen > 0 ? round2((100 * ms.unknown) / seen) : null,
    ms,
  };
}

/** Adds the milliseconds of several results. */
export function sumMs(parts: Iterable<UptimeMs>): UptimeMs {
  const out = { available: 0, unavailable: 0, maintenance: 0, unknown: 0 };
  for (const p of parts) {
    out.available += p.available;
    out.unavailable += p.unavailable;
    out.maintenance += p.maintenance;
    out.unknown += p.unknown;
  }
  return out;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
