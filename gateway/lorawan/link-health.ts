/**
 * What a sensor's uplinks say about its link and its probe, beyond its readings: frame counter
 * gaps (lost uplinks), a reading that no longer moves (a broken probe), join storms (a sensor
 * that keeps rejoining: power or coverage trouble) and the last uplink's radio. Kept per sensor;
 * the service saves it after each event (services/ingest/lorawan-links.ts), so a restart neither
 * takes a resent frame for a new one nor forgets the gaps, the resets or a frozen probe.
 */
export interface LinkState {
  lastFCnt: number | null;
  /** The last uplink's own time (ms) and its best gateway; null before the first. */
  radio: { ts: number; rssiDbm: number; snrDb: number; gatewayCount: number } | null;
  /** Frame counter resets seen (a reboot, a rejoin, a replay), since the sensor was first heard. */
  fCntResets: number;
  /** Frames missing before each of the last uplinks (most recent last). */
  readonly gaps: number[];
  frozen: { value: number; sinceTs: number; flagged: boolean } | null;
  /** Join times (ms) in the storm window. */
  readonly joins: number[];
  stormFlagged: boolean;
}

/** Lost-uplink share is over this many uplinks: about a day at 20 min. */
export const GAP_WINDOW = 72;
/** A counter that jumps further than this restarted (a rejoin ChirpStack did not report), not 16k lost frames. */
const MAX_GAP = 16_384;
export const JOIN_STORM_WINDOW_MS = 3_600_000;
export const JOIN_STORM_JOINS = 3;

export function newLinkState(): LinkState {
  return {
    lastFCnt: null,
    radio: null,
    fCntResets: 0,
    gaps: [],
    frozen: null,
    joins: [],
    stormFlagged: false,
  };
}

export type CounterVerdict =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'next'; readonly lost: number }
  | { readonly kind: 'reset'; readonly from: number };

/**
 * Places an uplink's fCnt after the previous one. The same fCnt again is the same frame (a network
 * server resending, or a replay): de-duplicated. A lower one, or an implausible jump, is a counter
 * reset: counted as an event, and the baseline starts over.
 */
export function placeFrame(s: LinkState, fCnt: number): CounterVerdict {
  const last = s.lastFCnt;
  if (last === fCnt) return { kind: 'duplicate' };
  s.lastFCnt = fCnt;
  if (last === null) return { kind: 'next', lost: 0 };
  const gap = fCnt - last - 1;
  if (gap < 0 || gap > MAX_GAP) {
    s.gaps.length = 0;
    s.fCntResets += 1;
    return { kind: 'reset', from: last };
  }
  s.gaps.push(gap);
  if (s.gaps.length > GAP_WINDOW) s.gaps.shift();
  return { kind: 'next', lost: gap };
}

/** Lost uplinks over the window, percent; undefined before two uplinks. */
export function lostUplinksPct(s: LinkState): number | undefined {
  if (s.gaps.length === 0) return undefined;
  const lost = s.gaps.reduce((a, b) => a + b, 0);
  return Math.round((lost / (lost + s.gaps.length)) * 10_000) / 100;
}

/**
 * A reading compared with the last: `froze` once it has not moved for `afterMs` (its uplink
 * times), `thawed` when a flagged one moves again, else null.
 */
export function watchFrozen(
  s: LinkState,
  value: number,
  ts: number,
  afterMs: number,
): 'froze' | 'thawed' | null {
  const f = s.frozen;
  if (f && f.value === value) {
    if (!f.flagged && ts - f.sinceTs >= afterMs) {
      f.flagged = true;
      return 'froze';
    }
    return null;
  }
  s.frozen = { value, sinceTs: ts, flagged: false };
  return f?.flagged ? 'thawed' : null;
}

/** A join; true once when the joins in the window reach the storm count. */
export function joinStorm(s: LinkState, ts: number): boolean {
  s.joins.push(ts);
  while (s.joins.length > 0 && ts - s.joins[0]! > JOIN_STORM_WINDOW_MS) s.joins.shift();
  s.lastFCnt = null;
  if (s.joins.length < JOIN_STORM_JOINS) {
    s.stormFlagged = false;
    return false;
  }
  if (s.stormFlagged) return false;
  s.stormFlagged = true;
  return true;
}

/**
 * A saved state read back, field by field: a row written by an older version (fewer fields) or
 * damaged by hand gives the defaults for what is missing, never a state that throws later.
 */
export function reviveLinkState(doc: unknown): LinkState {
  const s = newLinkState();
  if (typeof doc !== 'object' || doc === null) return s;
  const d = doc as Record<string, unknown>;
  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (num(d.lastFCnt)) s.lastFCnt = d.lastFCnt;
  if (num(d.fCntResets)) s.fCntResets = d.fCntResets;
  const r = d.radio as Record<string, unknown> | null | undefined;
  if (r && num(r.ts) && num(r.rssiDbm) && num(r.snrDb) && num(r.gatewayCount))
    s.radio = { ts: r.ts, rssiDbm: r.rssiDbm, snrDb: r.snrDb, gatewayCount: r.gatewayCount };
  if (Array.isArray(d.gaps)) s.gaps.push(...d.gaps.filter(num).slice(-GAP_WINDOW));
  const f = d.frozen as Record<string, unknown> | null | undefined;
  if (f && num(f.value) && num(f.sinceTs))
    s.frozen = { value: f.value, sinceTs: f.sinceTs, flagged: f.flagged === true };
  if (Array.isArray(d.joins)) s.joins.push(...d.joins.filter(num));
  s.stormFlagged = d.stormFlagged === true;
  return s;
}
