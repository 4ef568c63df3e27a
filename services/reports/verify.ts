import type { ReportFormat } from './formats/report-format.ts';
import { canonical, contentHashOf, type ReportDoc } from './report.ts';

export interface FigureDifference {
  readonly targetId: string;
  readonly name: string;
  /**
   * `shown`: the file's visible figure differs from its embedded one (the file was edited);
   * `trend`: a month of its trend chart differs (inFile, recomputed: that month's label and values).
   */
  readonly field: 'value' | 'status' | 'shown' | 'missing' | 'trend';
  readonly inFile: unknown;
  readonly recomputed: unknown;
}

export interface Verification {
  /** The file's figures and hash equal a recomputation from the store. */
  readonly same: boolean;
  readonly statedHash: string;
  readonly recomputedHash: string;
  /** The embedded report no longer hashes to its stated hash: the file was altered. */
  readonly tampered: boolean;
  readonly differences: readonly FigureDifference[];
  /** Devices whose evidence in the period changed since the report (late or corrected data). */
  readonly evidenceChanged: readonly string[];
  /** The settings behind the figures (inventory, targets, service hours) changed since. */
  readonly settingsChanged: boolean;
}

/**
 * Checks a report file: its embedded report against its own hash, the figures it shows against
 * the embedded ones, and both against `recompute` (the same commune, period and cut-off, from the
 * store now). Says exactly which figure differs, and why when the evidence or settings explain it.
 */
export async function verifyReport(
  file: Buffer,
  format: ReportFormat,
  recompute: (stated: ReportDoc) => ReportDoc | Promise<ReportDoc>,
): Promise<Verification> {
  const { doc, shown } = await format.extract(file);
  const tampered = contentHashOf(doc) !== doc.contentHash;
  const fresh = await recompute(doc);
  const differences: FigureDifference[] = [];
  const freshById = new Map(fresh.figures.map((f) => [f.targetId, f]));
  for (const f of doc.figures) {
    if (Object.hasOwn(shown, f.targetId) && shown[f.targetId] !== f.value)
      differences.push({
        targetId: f.targetId,
        name: f.name,
        field: 'shown',
        inFile: shown[f.targetId],
        recomputed: f.value,
      });
    const g = freshById.get(f.targetId);
    if (!g) {
      differences.push({
        targetId: f.targetId,
        name: f.name,
        field: 'missing',
        inFile: f.value,
        recomputed: null,
      });
      continue;
    }
    const value = shown[f.targetId] ?? f.value;
    if (value !== g.value)
      differences.push({
        targetId: f.targetId,
        name: f.name,
        field: 'value',
        inFile: value,
        recomputed: g.value,
      });
    if (f.status !== g.status)
      differences.push({
        targetId: f.targetId,
        name: f.name,
        field: 'status',
        inFile: f.status,
        recomputed: g.status,
      });
  }
  differences.push(...trendDifferences(doc, fresh));
  const ids = new Set([...Object.keys(doc.evidence), ...Object.keys(fresh.evidence)]);
  const evidenceChanged = [...ids].filter((id) => doc.evidence[id] !== fresh.evidence[id]).sort();
  return {
    same: !tampered && differences.length === 0 && fresh.contentHash === doc.contentHash,
    statedHash: doc.contentHash,
    recomputedHash: fresh.contentHash,
    tampered,
    differences,
    evidenceChanged,
    settingsChanged: doc.settingsHash !== fresh.settingsHash,
  };
}

/** Months of a trend series whose value differs (late data in an earlier month shows here). */
function trendDifferences(doc: ReportDoc, fresh: ReportDoc): FigureDifference[] {
  if (!doc.trend || canonical(doc.trend) === canonical(fresh.trend ?? [])) return [];
  const freshById = new Map((fresh.trend ?? []).map((s) => [s.targetId, s]));
  return doc.trend.flatMap((s) =>
    s.points.flatMap((p, i) => {
      const q = freshById.get(s.targetId)?.points[i];
      return q && q.value === p.value && q.fromTs === p.fromTs
        ? []
        : [
            {
              targetId: s.targetId,
              name: s.name,
              field: 'trend' as const,
              inFile: `${p.label}: ${p.value}`,
              recomputed: q ? `${q.label}: ${q.value}` : null,
            },
          ];
    }),
  );
}
