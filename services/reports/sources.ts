import type { CommuneFile } from '../../config/schema/commune.ts';
import type { SensorUplinks } from '../kpi/indicator.ts';
import type { Period } from '../read-model/read-model.ts';
import { rawKeptFromTs, readFarmUplinks } from '../soil/uplinks.ts';
import type { Store } from '../store/store.ts';
import { type ReportSources, reportWindow } from './produce.ts';
import type { TrendCache } from './trend-cache.ts';

/** Where a report's inputs besides the intervals come from (the service's store and cache). */
export interface ReportSourceDeps {
  /** The time-series store: the farm sensors' uplinks are its `heartbeat` readings and rollups. */
  readonly store: Pick<Store, 'query' | 'queryRollup'>;
  /** The service's `retention.rawDays` (a commune file's own wins). */
  readonly rawDays: number;
  readonly clock: () => number;
  /** Absent for verification, which counts every month from the store. */
  readonly trendCache?: TrendCache;
}

const rawFrom = (deps: ReportSourceDeps, c: CommuneFile) =>
  rawKeptFromTs(c.retention?.rawDays ?? deps.rawDays, deps.clock());

/** Reads what a report of `c` over `period` (counted up to `nowTs`) needs besides the intervals. */
export async function reportSources(
  deps: ReportSourceDeps,
  c: CommuneFile,
  period: Period,
  nowTs: number,
): Promise<ReportSources> {
  const uplinks = await readFarmUplinks(deps.store, c, reportWindow(period), nowTs, rawFrom(deps, c), [
    period.fromTs,
    period.toTs,
  ]);
  return { ...(deps.trendCache ? { trendCache: deps.trendCache } : {}), ...(uplinks ? { uplinks } : {}) };
}

/** The farm sensors' uplinks for KPIs over `period` (what /api/kpis counts); undefined without farm targets. */
export function kpiUplinks(
  deps: ReportSourceDeps,
  c: CommuneFile,
  period: Period,
  nowTs: number,
): Promise<ReadonlyMap<string, SensorUplinks> | undefined> {
  return readFarmUplinks(deps.store, c, period, nowTs, rawFrom(deps, c));
}

/** kpiUplinks bound to its sources: the IOC feed's and API's way to read a period's uplinks. */
export function uplinksReader(
  deps: ReportSourceDeps,
): (
  c: CommuneFile,
  period: Period,
  nowTs: number,
) => Promise<ReadonlyMap<string, SensorUplinks> | undefined> {
  return (c, period, nowTs) => kpiUplinks(deps, c, period, nowTs);
}
