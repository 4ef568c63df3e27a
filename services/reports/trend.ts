import type { CommuneFile } from '../../config/schema/commune.ts';
import { kpiFigures } from '../kpi/evaluate.ts';
import type { SensorUplinks } from '../kpi/indicator.ts';
import { indicators } from '../kpi/indicators/registry.ts';
import { localDate, periodContaining } from '../kpi/periods.ts';
import type { KpiFigure } from '../kpi/targets.ts';
import type { Period, ReadModel } from '../read-model/read-model.ts';

/** One month of a KPI's trend; value null when nothing could be judged (or the month had not begun). */
export interface TrendPoint {
  /** "03/2026". */
  readonly label: string;
  readonly fromTs: number;
  readonly value: number | null;
}

export interface TrendSeries {
  readonly targetId: string;
  readonly name: string;
  readonly unit: KpiFigure['unit'];
  readonly better: KpiFigure['better'];
  readonly target: number;
  readonly points: readonly TrendPoint[];
}

/** How many months a report's trend chart shows, ending with the report's last month. */
export const TREND_MONTHS = 12;

/** The months [first, last] of a trend ending with the month that holds `period`'s last instant. */
export function trendMonths(period: Period, months = TREND_MONTHS): Period[] {
  const out: Period[] = [];
  let m = periodContaining('month', period.toTs - 1);
  for (let k = 0; k < months; k++) {
    out.unshift(m);
    m = periodContaining('month', m.fromTs - 1);
  }
  return out;
}

/** A month's figures by target id (what the trend cache keeps). */
export type MonthValues = Readonly<Record<string, number | null>>;

export interface TrendOptions {
  /** Figures already known by month start (cached, or the report's own month): not counted again. */
  readonly known?: ReadonlyMap<number, MonthValues>;
  /** Told each month counted here, with the instant it was counted up to (to cache closed months). */
  readonly counted?: (month: Period, values: MonthValues) => void;
  /** The farm sensors' uplinks in a month (farm-completeness has no value without). */
  readonly uplinksOf?: (month: Period) => ReadonlyMap<string, SensorUplinks> | undefined;
}

/**
 * Every target's figure month by month over the last `months` months, each month counted by the
 * same engine as the report (up to `nowTs`), so the chart's last point equals a monthly report of
 * that month. Months not begun by `nowTs` have no value.
 */
export function monthlyTrend(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  period: Period,
  nowTs: number,
  months = TREND_MONTHS,
  opts: TrendOptions = {},
): TrendSeries[] {
  const values = new Map<string, TrendPoint[]>(c.kpiTargets.map((t) => [t.id, []]));
  for (const m of trendMonths(period, months)) {
    const d = localDate(m.fromTs);
    const label = `${String(d.month).padStart(2, '0')}/${d.year}`;
    let known = opts.known?.get(m.fromTs);
    if (!known && m.fromTs < nowTs) {
      const figures = kpiFigures(c, readModel, m, Math.min(nowTs, m.toTs), opts.uplinksOf?.(m));
      known = Object.fromEntries(figures.map((f) => [f.targetId, f.value]));
      opts.counted?.(m, known);
    }
    for (const t of c.kpiTargets)
      values.get(t.id)!.push({ label, fromTs: m.fromTs, value: known?.[t.id] ?? null });
  }
  return c.kpiTargets.map((t) => {
    const ind = indicators.get(t.indicator)!;
    const points = values.get(t.id)!;
    return { targetId: t.id, name: t.name, unit: ind.unit, better: ind.better, target: t.target, points };
  });
}
