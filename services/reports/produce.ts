import type { CommuneFile } from '../../config/schema/commune.ts';
import { runKpis, settingsHashOf, sha256, uplinkDigestText } from '../kpi/evaluate.ts';
import type { SensorUplinks } from '../kpi/indicator.ts';
import type { Period, ReadModel } from '../read-model/read-model.ts';
import { uplinksIn } from '../soil/uplinks.ts';
import { evidenceAppendix } from './appendix.ts';
import type { ArchivedReport, ReportArchive } from './archive.ts';
import { reportFormats } from './formats/registry.ts';
import { buildReport, type ReportDoc, type ReportMeta } from './report.ts';
import { type ReportSourceDeps, reportSources } from './sources.ts';
import { spanSnapshot } from './span-snapshot.ts';
import { type MonthValues, monthlyTrend, TREND_MONTHS, trendMonths } from './trend.ts';
import { TREND_CACHE_VERSION, type TrendCache } from './trend-cache.ts';
import { type Verification, verifyReport } from './verify.ts';

/** What a report reads besides the spans. */
export interface ReportSources {
  /** Closed months' figures for the trend; verification passes none and counts every month. */
  readonly trendCache?: TrendCache;
  /**
   * The farm sensors' uplinks over the report's window (reportWindow; services/soil/uplinks.ts
   * readFarmUplinks): without them a farm-completeness figure has no value.
   */
  readonly uplinks?: ReadonlyMap<string, SensorUplinks>;
}

/** What a report counts: its period and the months of its trend. */
export function reportWindow(period: Period): Period {
  const months = trendMonths(period);
  // An on-demand period need not end on a month's edge: its last trend month may reach past it.
  return {
    fromTs: Math.min(period.fromTs, months[0]!.fromTs),
    toTs: Math.max(period.toTs, months.at(-1)!.toTs),
  };
}

/** A month's uplinks in a cache key: a digest of what its completeness figure counts. */
function uplinkStamp(uplinks: ReadonlyMap<string, SensorUplinks> | undefined): string {
  if (!uplinks) return '';
  const text = [...uplinks]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, u]) => `${id}|${u.intervalSec}|${uplinkDigestText(u)}`)
    .join('\n');
  return `:${sha256(text).slice(0, 16)}`;
}

/** Computes a commune's report over a period, counted up to `nowTs`. */
export function computeReport(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  period: Period,
  nowTs: number,
  meta: ReportMeta,
  sources: ReportSources = {},
): ReportDoc {
  const months = trendMonths(period);
  const ids = c.devices.map((d) => d.id);
  const cache = sources.trendCache;
  const settings = cache ? settingsHashOf(c) : '';
  // A month is cached only once closed at the count instant: a running month still changes.
  const uplinks = sources.uplinks;
  const keyOf = (m: Period) =>
    `v${TREND_CACHE_VERSION}:${settings}:${cache!.stamp(ids, m)}${uplinkStamp(uplinksIn(uplinks, m))}`;
  const keys = new Map<number, string>();
  const known = new Map<number, MonthValues>();
  const isPeriod = (m: Period) => m.fromTs === period.fromTs && m.toTs === period.toTs;
  for (const m of cache ? months : []) {
    if (m.toTs > nowTs) continue;
    const key = keyOf(m);
    keys.set(m.fromTs, key);
    const hit = isPeriod(m) ? undefined : cache!.get(c.commune.id, m.fromTs, key);
    if (hit) known.set(m.fromTs, hit);
  }
  // Read only what is counted here: the period and the trend months not known.
  const toCount = months.filter((m) => m.fromTs < nowTs && !known.has(m.fromTs) && !isPeriod(m));
  const window = {
    fromTs: Math.min(period.fromTs, ...toCount.map((m) => m.fromTs)),
    toTs: Math.max(period.toTs, ...toCount.map((m) => m.toTs)),
  };
  const spans = spanSnapshot(readModel, ids, window);
  const run = runKpis(c, spans, period, nowTs, uplinksIn(uplinks, period));
  // A monthly report's own month is its trend's last point: the figures just counted.
  const own = months.find(isPeriod);
  if (own) {
    const values = Object.fromEntries(run.figures.map((f) => [f.targetId, f.value]));
    known.set(own.fromTs, values);
    const key = keys.get(own.fromTs);
    if (key) cache!.put(c.commune.id, own.fromTs, key, values);
  }
  const trend = monthlyTrend(c, spans, period, nowTs, TREND_MONTHS, {
    known,
    uplinksOf: (m) => uplinksIn(uplinks, m),
    counted: (m, values) => {
      const key = keys.get(m.fromTs);
      if (key) cache!.put(c.commune.id, m.fromTs, key, values);
    },
  });
  return buildReport(c, run, meta, { trend, appendix: evidenceAppendix(c, run) });
}

/** Renders the report in each format and archives the files. */
export async function produceReport(
  deps: { archive: ReportArchive; clock: () => number },
  doc: ReportDoc,
  formats: readonly string[],
): Promise<ArchivedReport[]> {
  const out: ArchivedReport[] = [];
  for (const kind of formats) {
    const fmt = reportFormats.get(kind);
    if (!fmt) throw new Error(`unknown report format "${kind}"`);
    out.push(deps.archive.save(doc, fmt, await fmt.render(doc, 'vi'), deps.clock()));
  }
  return out;
}

/** Verifies a report file against the store: same figures and hash, or what differs and why. */
export function verifyFile(
  file: Buffer,
  formatKind: string,
  communes: ReadonlyMap<string, CommuneFile>,
  readModel: Pick<ReadModel, 'spans'>,
  /** The store the farm uplinks are read from; without, farm figures recompute to no value. */
  sources?: ReportSourceDeps,
): Promise<Verification> {
  const fmt = reportFormats.get(formatKind);
  if (!fmt) throw new Error(`unknown report format "${formatKind}"`);
  return verifyReport(file, fmt, async (stated) => {
    const c = communes.get(stated.communeId);
    if (!c)
      throw new Error(`the report is of commune "${stated.communeId}", which this service does not have`);
    const period = { fromTs: stated.fromTs, toTs: stated.toTs };
    // Every month counted from the store: no trend cache.
    const uncached = sources && { store: sources.store, rawDays: sources.rawDays, clock: sources.clock };
    const read = uncached ? await reportSources(uncached, c, period, stated.nowTs) : {};
    return computeReport(
      c,
      readModel,
      period,
      stated.nowTs,
      { scheduleId: stated.scheduleId, dueDate: stated.dueDate },
      { ...(read.uplinks ? { uplinks: read.uplinks } : {}) },
    );
  });
}

/** The format of a file by its extension (pdf, xlsx, csv). */
export function formatOfFile(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1).toLowerCase();
}
