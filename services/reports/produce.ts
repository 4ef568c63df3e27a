import type { CommuneFile } from '../../config/schema/commune.ts';
import { runKpis } from '../kpi/evaluate.ts';
import type { Period, ReadModel } from '../read-model/read-model.ts';
import { evidenceAppendix } from './appendix.ts';
import type { ArchivedReport, ReportArchive } from './archive.ts';
import { reportFormats } from './formats/registry.ts';
import { buildReport, type ReportDoc, type ReportMeta } from './report.ts';
import { spanSnapshot } from './span-snapshot.ts';
import { monthlyTrend, trendMonths } from './trend.ts';
import { type Verification, verifyReport } from './verify.ts';

/** Computes a commune's report over a period, counted up to `nowTs`. */
export function computeReport(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  period: Period,
  nowTs: number,
  meta: ReportMeta,
): ReportDoc {
  const months = trendMonths(period);
  // An on-demand period need not end on a month's edge: its last trend month may reach past it.
  const window = {
    fromTs: Math.min(period.fromTs, months[0]!.fromTs),
    toTs: Math.max(period.toTs, months.at(-1)!.toTs),
  };
  const spans = spanSnapshot(
    readModel,
    c.devices.map((d) => d.id),
    window,
  );
  const run = runKpis(c, spans, period, nowTs);
  return buildReport(c, run, meta, {
    trend: monthlyTrend(c, spans, period, nowTs),
    appendix: evidenceAppendix(c, run),
  });
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
): Promise<Verification> {
  const fmt = reportFormats.get(formatKind);
  if (!fmt) throw new Error(`unknown report format "${formatKind}"`);
  return verifyReport(file, fmt, (stated) => {
    const c = communes.get(stated.communeId);
    if (!c)
      throw new Error(`the report is of commune "${stated.communeId}", which this service does not have`);
    return computeReport(c, readModel, { fromTs: stated.fromTs, toTs: stated.toTs }, stated.nowTs, {
      scheduleId: stated.scheduleId,
      dueDate: stated.dueDate,
    });
  });
}

/** The format of a file by its extension (pdf, xlsx, csv). */
export function formatOfFile(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1).toLowerCase();
}
