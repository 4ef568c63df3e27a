/**
 * What the readings rule kinds share (pure): the run of readings at the end of a series that are
 * all out of bounds, and the series they judge (a stored metric, a battery's days left, a plot's
 * mean moisture).
 */
import { BATTERY_EMPTY_V, BATTERY_WINDOW_DAYS, batteryTrend } from '../../kpi/soil.ts';
import type { Reading } from '../../store/store.ts';

export interface TimedValue {
  readonly ts: number;
  readonly value: number;
}

const DAY_MS = 86_400_000;
/** Readings looked at before the rule's own minutes, so a run that began earlier is seen whole. */
export const LOOKBACK_MS = DAY_MS;

/**
 * The run of values at the end of `series` (oldest first) for which `outside` holds: its first
 * reading's time and the newest value; null when the newest value is within bounds or there is none.
 * A series that is out of bounds all along starts at its first reading (the run may be older).
 */
export function trailingRun(
  series: readonly TimedValue[],
  outside: (v: number) => boolean,
): { sinceTs: number; value: number } | null {
  const last = series.at(-1);
  if (!last || !outside(last.value)) return null;
  let since = last.ts;
  for (let i = series.length - 2; i >= 0 && outside(series[i]!.value); i--) since = series[i]!.ts;
  return { sinceTs: since, value: last.value };
}

/** Points of the days-left series: the trend at each of the newest battery readings. */
const DAYS_LEFT_POINTS = 48;

/**
 * Days until the battery is empty, as the farms page computes it, at each of the newest battery
 * readings (from the readings up to it): a series, so "under N days" has a start like any metric.
 * A reading whose trend shows no drain is a point with no value (Infinity): never under a bound.
 */
export function daysLeftSeries(
  readings: readonly Reading[],
  metric: 'batteryPct' | 'batteryV',
): TimedValue[] {
  const emptyAt = metric === 'batteryPct' ? 0 : BATTERY_EMPTY_V;
  const out: TimedValue[] = [];
  for (let i = Math.max(0, readings.length - DAYS_LEFT_POINTS); i < readings.length; i++) {
    const upTo = readings.slice(0, i + 1);
    const trend = batteryTrend(upTo, { windowDays: BATTERY_WINDOW_DAYS, emptyAt });
    out.push({ ts: readings[i]!.ts, value: trend?.daysToEmpty ?? Number.POSITIVE_INFINITY });
  }
  return out;
}

/**
 * A plot's mean moisture over time: at each reading of any of its sensors, the mean of every
 * sensor's latest reading so far (as the farms page judges the plot now).
 */
export function plotMeanSeries(perSensor: ReadonlyArray<readonly Reading[]>): TimedValue[] {
  const all = perSensor.flatMap((rows, i) => rows.map((r) => ({ i, ts: r.ts, value: r.value })));
  all.sort((a, b) => a.ts - b.ts);
  const latest = new Map<number, number>();
  const out: TimedValue[] = [];
  for (const r of all) {
    latest.set(r.i, r.value);
    let sum = 0;
    for (const v of latest.values()) sum += v;
    const mean = Math.round((sum / latest.size) * 10) / 10;
    if (out.at(-1)?.ts === r.ts) out[out.length - 1] = { ts: r.ts, value: mean };
    else out.push({ ts: r.ts, value: mean });
  }
  return out;
}
