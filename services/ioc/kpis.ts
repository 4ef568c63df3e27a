import type { CommuneFile } from '../../config/schema/commune.ts';
import { runKpis } from '../kpi/evaluate.ts';
import type { SensorUplinks } from '../kpi/indicator.ts';
import { countedUpTo, DAY_MS, localDate, localMidnight, periodContaining } from '../kpi/periods.ts';
import type { KpiFigure, KpiStatus } from '../kpi/targets.ts';
import type { Period, ReadModel } from '../read-model/read-model.ts';
import { uplinksIn } from '../soil/uplinks.ts';

/** The farm sensors' uplinks of a commune over a period (services/reports/sources.ts kpiUplinks). */
export type UplinksOf = (
  c: CommuneFile,
  period: Period,
  nowTs: number,
) => Promise<ReadonlyMap<string, SensorUplinks> | undefined>;

/**
 * Each commune's KPIs against its targets for the province, as data: per day (the local day up to
 * the cut-off) and per the target's own period (month, quarter, year so far), computed by the same
 * engine as the reports. Aggregates only: no breakdown rows and no basis, so no device, camera,
 * site or position can ride along; a camera figure is one number per commune.
 */

export interface IocKpiValue {
  readonly fromTs: number;
  /** Counted up to here (the cut-off, or the period's end when it closed before). */
  readonly toTs: number;
  readonly value: number | null;
  readonly status: KpiStatus;
}

export interface IocKpi {
  readonly targetId: string;
  readonly name: string;
  readonly indicator: string;
  readonly unit: KpiFigure['unit'];
  readonly better: KpiFigure['better'];
  readonly target: number;
  readonly planRef: string | null;
  readonly period: KpiFigure['targetPeriod'];
  readonly day: IocKpiValue;
  readonly periodSoFar: IocKpiValue;
}

export interface CommuneKpis {
  readonly communeId: string;
  readonly name: string;
  readonly province: string;
  /** The local day, YYYY-MM-DD (Asia/Ho_Chi_Minh). */
  readonly day: string;
  readonly cutoffTs: number;
  readonly kpis: readonly IocKpi[];
}

/** The cut-off instant on the local day of `ts` ("17:00" → 17:00 Vietnam time that day). */
export function cutoffOn(ts: number, cutoff: string): number {
  const { year, month, day } = localDate(ts);
  const [h, m] = cutoff.split(':').map(Number) as [number, number];
  return localMidnight(year, month, day) + (h * 60 + m) * 60_000;
}

/** The latest cut-off at or before `nowTs` (today's once passed, else yesterday's). */
export function latestCutoff(nowTs: number, cutoff: string): number {
  const today = cutoffOn(nowTs, cutoff);
  return today <= nowTs ? today : cutoffOn(nowTs - DAY_MS, cutoff);
}

export function isoDay(ts: number): string {
  const d = localDate(ts);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

const value = (period: Period, nowTs: number, f: KpiFigure | undefined): IocKpiValue => ({
  fromTs: period.fromTs,
  toTs: Math.min(nowTs, period.toTs),
  value: f?.value ?? null,
  status: f?.status ?? 'no-data',
});

/**
 * The commune's KPIs at a cut-off: the day it falls on so far, and each target's period so far.
 * Without `uplinksOf` a farm-completeness figure has no value.
 */
export async function communeKpis(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  cutoffTs: number,
  uplinksOf?: UplinksOf,
): Promise<CommuneKpis> {
  const dayPeriod = periodContaining('day', cutoffTs - 1);
  const kinds = [...new Set(c.kpiTargets.map((t) => t.period))].map(
    (kind) => [kind, periodContaining(kind, cutoffTs - 1)] as const,
  );
  // Every period holds the cut-off and is counted up to it: the farm uplinks are read once, over
  // the widest of them, and sliced (their edges are local midnights, whole hours).
  const all = [dayPeriod, ...kinds.map(([, p]) => p)];
  const widest = { fromTs: Math.min(...all.map((p) => p.fromTs)), toTs: Math.max(...all.map((p) => p.toTs)) };
  const uplinks = await uplinksOf?.(c, widest, cutoffTs);
  const byId = (p: Period) => {
    const run = runKpis(c, readModel, p, countedUpTo(p, cutoffTs), uplinksIn(uplinks, p));
    return new Map(run.figures.map((f) => [f.targetId, f]));
  };
  const day = byId(dayPeriod);
  const periods = new Map<string, { period: Period; figures: Map<string, KpiFigure> }>();
  for (const [kind, period] of kinds) periods.set(kind, { period, figures: byId(period) });
  return {
    communeId: c.commune.id,
    name: c.commune.name,
    province: c.commune.province,
    day: isoDay(cutoffTs - 1),
    cutoffTs,
    kpis: c.kpiTargets.map((t) => {
      const d = day.get(t.id)!;
      const p = periods.get(t.period)!;
      return {
        targetId: t.id,
        name: t.name,
        indicator: t.indicator,
        unit: d.unit,
        better: d.better,
        target: t.target,
        planRef: t.planRef ?? null,
        period: t.period,
        day: value(dayPeriod, cutoffTs, d),
        periodSoFar: value(p.period, cutoffTs, p.figures.get(t.id)),
      };
    }),
  };
}
