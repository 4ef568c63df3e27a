import type { ServiceHours, ServiceWindow } from '../../config/schema/kpi.ts';
import type { Period } from '../read-model/read-model.ts';
import { localClock, localDays } from './periods.ts';

/** A scheduled bulletin as service hours need it: start (HH:MM Vietnam), days, length. */
export interface BroadcastTime {
  readonly at: string;
  readonly days: readonly string[];
  readonly durationMin: number;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The absolute windows [fromTs, toTs) of `period` in which a device class must work, sorted and
 * disjoint, cut from each local day in Asia/Ho_Chi_Minh. `always` is the whole period. A bulletin
 * that runs past midnight continues into the next day (it is one broadcast).
 */
export function serviceWindows(
  rule: ServiceHours,
  period: Period,
  broadcasts: readonly BroadcastTime[] = [],
): Period[] {
  if (rule === 'always') return period.fromTs < period.toTs ? [period] : [];
  const daily: Array<{ fromMin: number; toMin: number; days: readonly string[] }> =
    rule === 'broadcasts'
      ? broadcasts.map((b) => ({
          fromMin: minutes(b.at),
          toMin: minutes(b.at) + b.durationMin,
          days: b.days,
        }))
      : rule.map((w: ServiceWindow) => ({
          fromMin: minutes(w.from),
          toMin: minutes(w.to),
          days: w.days ?? WEEKDAYS,
        }));
  const raw: Period[] = [];
  // A day before the period too: its late bulletin may run into the period's first minutes.
  const widened = { fromTs: period.fromTs - 86_400_000, toTs: period.toTs };
  for (const day of localDays(widened)) {
    const weekday = WEEKDAYS[localClock(day.dayStartTs).weekday]!;
    for (const w of daily) {
      if (!w.days.includes(weekday)) continue;
      const fromTs = Math.max(day.dayStartTs + w.fromMin * 60_000, period.fromTs);
      const toTs = Math.min(day.dayStartTs + w.toMin * 60_000, period.toTs);
      if (toTs > fromTs) raw.push({ fromTs, toTs });
    }
  }
  return union(raw);
}

/** Sorted, merged union of windows. */
export function union(windows: readonly Period[]): Period[] {
  const sorted = [...windows].sort((a, b) => a.fromTs - b.fromTs);
  const out: Array<{ fromTs: number; toTs: number }> = [];
  for (const w of sorted) {
    const last = out[out.length - 1];
    if (last && w.fromTs <= last.toTs) last.toTs = Math.max(last.toTs, w.toTs);
    else out.push({ ...w });
  }
  return out;
}

/** The windows clipped to [fromTs, toTs). */
export function clip(windows: readonly Period[], fromTs: number, toTs: number): Period[] {
  const out: Period[] = [];
  for (const w of windows) {
    const a = Math.max(w.fromTs, fromTs);
    const b = Math.min(w.toTs, toTs);
    if (b > a) out.push({ fromTs: a, toTs: b });
  }
  return out;
}
