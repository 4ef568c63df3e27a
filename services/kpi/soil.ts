/**
 * Soil-sensor figures from their history: how fast a battery drains (days until empty) and how
 * many of the uplinks a sensor should have sent in a Vietnamese day arrived. Pure: the callers
 * read the readings; nothing here touches a store or a clock.
 */

const DAY_MS = 86_400_000;
/**
 * A sensor that reports volts (Dragino LSE01's 3.6 V Li-SOCl2 cell) is treated as empty at 3.0 V:
 * such a cell holds its voltage until near the end, so the days named are a late warning, not early.
 */
export const BATTERY_EMPTY_V = 3.0;
/** Battery history the drain is fitted over (the farms page, the days-left alert rule). */
export const BATTERY_WINDOW_DAYS = 14;
/** Asia/Ho_Chi_Minh is UTC+7 all year (no DST), so a local day is a fixed 24 h slice of UTC. */
const VN_OFFSET_MS = 7 * 3_600_000;

export interface TimedValue {
  /** Epoch ms UTC. */
  readonly ts: number;
  readonly value: number;
}

export interface BatteryTrend {
  /** Fitted change per day, in the battery metric's own unit (percent or volts); negative drains. */
  readonly slopePerDay: number;
  /** The fitted level at the newest reading. */
  readonly levelNow: number;
  /**
   * Days from the newest reading until the fitted line reaches `emptyAt`; null when the battery is
   * not draining (flat or rising: a new battery, a solar top-up) or there is too little history.
   */
  readonly daysToEmpty: number | null;
  /** Readings the fit used. */
  readonly readings: number;
}

/** Fewer readings, or a shorter span, tell noise from drain too poorly to name a day. */
const MIN_READINGS = 3;
const MIN_SPAN_MS = 6 * 3_600_000;

/**
 * Least-squares line through the battery readings of the last `windowDays` before the newest one.
 * A battery falls in steps (the sensor reports whole percents or 10 mV), so a fit over days, not
 * the last two readings, gives the drain. Null without readings.
 */
export function batteryTrend(
  readings: readonly TimedValue[],
  opts: { readonly windowDays: number; readonly emptyAt: number },
): BatteryTrend | null {
  if (readings.length === 0) return null;
  const newest = readings.reduce((m, r) => Math.max(m, r.ts), Number.NEGATIVE_INFINITY);
  const used = readings.filter((r) => r.ts >= newest - opts.windowDays * DAY_MS && Number.isFinite(r.value));
  const n = used.length;
  // Days from the newest reading keep the numbers small (epoch ms squared loses precision).
  const xs = used.map((r) => (r.ts - newest) / DAY_MS);
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = used.reduce((a, r) => a + r.value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  xs.forEach((x, i) => {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (used[i]!.value - meanY);
  });
  const span = (Math.max(...xs) - Math.min(...xs)) * DAY_MS;
  const enough = n >= MIN_READINGS && span >= MIN_SPAN_MS && sxx > 0;
  const slope = enough ? sxy / sxx : 0;
  const levelNow = enough ? meanY - slope * meanX : used.at(-1)!.value;
  const daysToEmpty =
    enough && slope < 0 ? Math.max(0, Math.round(((levelNow - opts.emptyAt) / -slope) * 10) / 10) : null;
  return {
    slopePerDay: Math.round(slope * 1000) / 1000,
    levelNow: Math.round(levelNow * 100) / 100,
    daysToEmpty,
    readings: n,
  };
}

export interface DayCompleteness {
  /** The local (Asia/Ho_Chi_Minh) day, YYYY-MM-DD. */
  readonly day: string;
  readonly received: number;
  /** Uplinks the model's interval promises in the part of the day inside the period. */
  readonly expected: number;
  /** 100 × received / expected, at most 100 (a resent frame is not extra data); null when none was expected. */
  readonly pct: number | null;
}

/** The local day of an instant, YYYY-MM-DD in Asia/Ho_Chi_Minh. */
export function localDay(ts: number): string {
  return new Date(Math.floor((ts + VN_OFFSET_MS) / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Received uplinks ÷ expected, per local day of [fromTs, toTs). A day cut by the period (the day
 * the sensor was installed, today) expects only its part: 12 h of a 30-min sensor is 24 uplinks.
 * `uplinkTs` are the times of the uplinks heard (one per frame: duplicates were refused at ingest).
 */
export function dailyCompleteness(
  uplinkTs: readonly number[],
  opts: { readonly intervalSec: number; readonly fromTs: number; readonly toTs: number },
  /**
   * Uplinks counted per UTC hour [hour start, count] (the store's 1-hour rollups), for hours the
   * times are not given for. A Vietnam day is 24 whole UTC hours (UTC+7), so an hour is in one day.
   */
  hourly: ReadonlyArray<readonly [number, number]> = [],
): DayCompleteness[] {
  const out: DayCompleteness[] = [];
  if (!(opts.toTs > opts.fromTs) || !(opts.intervalSec > 0)) return out;
  const first = Math.floor((opts.fromTs + VN_OFFSET_MS) / DAY_MS);
  const last = Math.floor((opts.toTs - 1 + VN_OFFSET_MS) / DAY_MS);
  const counts = new Map<number, number>();
  for (const ts of uplinkTs) {
    if (ts < opts.fromTs || ts >= opts.toTs) continue;
    const d = Math.floor((ts + VN_OFFSET_MS) / DAY_MS);
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  for (const [hourTs, n] of hourly) {
    if (hourTs < opts.fromTs || hourTs >= opts.toTs) continue;
    const d = Math.floor((hourTs + VN_OFFSET_MS) / DAY_MS);
    counts.set(d, (counts.get(d) ?? 0) + n);
  }
  for (let d = first; d <= last; d++) {
    const start = Math.max(opts.fromTs, d * DAY_MS - VN_OFFSET_MS);
    const end = Math.min(opts.toTs, (d + 1) * DAY_MS - VN_OFFSET_MS);
    const expected = Math.floor((end - start) / (opts.intervalSec * 1000));
    const received = counts.get(d) ?? 0;
    out.push({
      day: localDay(d * DAY_MS - VN_OFFSET_MS),
      received,
      expected,
      pct: expected > 0 ? Math.min(100, Math.round((received / expected) * 1000) / 10) : null,
    });
  }
  return out;
}
