import type { Period } from '../read-model/read-model.ts';

/**
 * Report periods cut at local midnight in Asia/Ho_Chi_Minh. Vietnam keeps UTC+7 all year (no
 * daylight saving since 1975), so a fixed offset is exact and needs no time-zone database.
 */
export const VN_OFFSET_MS = 7 * 3_600_000;
export const DAY_MS = 86_400_000;

export const PERIOD_KINDS = ['day', 'month', 'quarter', 'year'] as const;
export type PeriodKind = (typeof PERIOD_KINDS)[number];

/** A local calendar date in Vietnam. month is 1–12. */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** The Vietnamese calendar date of an instant. */
export function localDate(ts: number): LocalDate {
  const d = new Date(ts + VN_OFFSET_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 00:00 Vietnam time on a local date (month and day may overflow: Date.UTC normalises them). */
export function localMidnight(year: number, month: number, day = 1): number {
  return Date.UTC(year, month - 1, day) - VN_OFFSET_MS;
}

/** Minutes since local midnight and ISO weekday index (0 = Monday) of an instant. */
export function localClock(ts: number): { minute: number; weekday: number } {
  const d = new Date(ts + VN_OFFSET_MS);
  return { minute: d.getUTCHours() * 60 + d.getUTCMinutes(), weekday: (d.getUTCDay() + 6) % 7 };
}

/** The calendar period of `kind` that contains `ts`. */
export function periodContaining(kind: PeriodKind, ts: number): Period {
  const { year, month, day } = localDate(ts);
  switch (kind) {
    case 'day':
      return { fromTs: localMidnight(year, month, day), toTs: localMidnight(year, month, day + 1) };
    case 'month':
      return { fromTs: localMidnight(year, month), toTs: localMidnight(year, month + 1) };
    case 'quarter': {
      const first = month - ((month - 1) % 3);
      return { fromTs: localMidnight(year, first), toTs: localMidnight(year, first + 3) };
    }
    case 'year':
      return { fromTs: localMidnight(year, 1), toTs: localMidnight(year + 1, 1) };
  }
}

/** The period of `kind` just before the one containing `ts` (the last complete one). */
export function previousPeriod(kind: PeriodKind, ts: number): Period {
  return periodContaining(kind, periodContaining(kind, ts).fromTs - 1);
}

/** Each local day's [midnight, next midnight) that overlaps the period, clipped to it. */
export function* localDays(period: Period): Generator<Period & { dayStartTs: number }> {
  const first = localDate(period.fromTs);
  for (let start = localMidnight(first.year, first.month, first.day); start < period.toTs; start += DAY_MS) {
    yield {
      dayStartTs: start,
      fromTs: Math.max(start, period.fromTs),
      toTs: Math.min(start + DAY_MS, period.toTs),
    };
  }
}

/** A period's label: "03/2026", "Quý I/2026", "2026", or dd/mm/yyyy–dd/mm/yyyy for any other span. */
export function periodLabel(period: Period): string {
  const a = localDate(period.fromTs);
  const pad = (n: number) => String(n).padStart(2, '0');
  for (const kind of ['month', 'quarter', 'year'] as const) {
    const p = periodContaining(kind, period.fromTs);
    if (p.fromTs !== period.fromTs || p.toTs !== period.toTs) continue;
    if (kind === 'month') return `${pad(a.month)}/${a.year}`;
    if (kind === 'quarter') return `${['I', 'II', 'III', 'IV'][(a.month - 1) / 3]}/${a.year}`;
    return String(a.year);
  }
  const b = localDate(period.toTs - 1);
  return `${pad(a.day)}/${pad(a.month)}/${a.year}–${pad(b.day)}/${pad(b.month)}/${b.year}`;
}

/**
 * Up to when a period is counted at `ts`: its end once it is over, `ts` while it runs, and just
 * after its start for one not begun yet (so a figure is over a span, never an empty one).
 */
export function countedUpTo(period: Pick<Period, 'fromTs' | 'toTs'>, ts: number): number {
  return Math.max(period.fromTs + 1, Math.min(ts, period.toTs));
}
