import type { CommuneFile } from '../../config/schema/commune.ts';
import { deviceTypes } from '../device-types/registry.ts';
import { type KpiRun, sha256 } from '../kpi/evaluate.ts';
import { localDate, periodLabel } from '../kpi/periods.ts';
import type { KpiFigure } from '../kpi/targets.ts';
import type { FigureEvidence } from './appendix.ts';
import type { TrendSeries } from './trend.ts';

/**
 * A report as data: the commune's KPI figures over a period, the rules they were counted by and
 * a content hash of its inputs (evidence per device, settings) and figures. Every format renders
 * this and can give its figures back (ReportFormat.extract), so a file can be verified against a
 * recomputation from the store. Camera figures are aggregates only: a row naming a camera (or the
 * site it watches) is never in a report.
 */
export interface ReportDoc {
  readonly version: 1;
  readonly communeId: string;
  readonly communeName: string;
  readonly province: string;
  readonly place: string;
  readonly signerTitle: string;
  readonly signerName: string | null;
  readonly fromTs: number;
  readonly toTs: number;
  readonly periodLabel: string;
  /** Figures were counted up to this instant (≥ toTs for a closed period). */
  readonly nowTs: number;
  readonly scheduleId: string | null;
  /** Due date (ISO, Vietnam) from the schedule; null on demand. */
  readonly dueDate: string | null;
  readonly figures: readonly KpiFigure[];
  readonly evidence: Readonly<Record<string, string>>;
  readonly settingsHash: string;
  /** Each target month by month over the last 12 months (absent in reports made before it). */
  readonly trend?: readonly TrendSeries[];
  /** The longest outages behind each figure (absent in reports made before it). */
  readonly appendix?: readonly FigureEvidence[];
  /** sha256 of everything above, canonical JSON. */
  readonly contentHash: string;
}

export type ReportMeta = Pick<ReportDoc, 'scheduleId' | 'dueDate'>;
/** What a full report adds to the figures; both are hashed with them. */
export type ReportExtras = Pick<ReportDoc, 'trend' | 'appendix'>;

/** Deterministic JSON: object keys sorted at every level. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** Drops breakdown rows that would name a camera or the place it watches (aggregates stay). */
export function redactSensitive(c: CommuneFile, f: KpiFigure): KpiFigure {
  const sensitiveIds = new Set(c.devices.filter((d) => deviceTypes.get(d.type)?.sensitive).map((d) => d.id));
  const sensitiveSites = new Set(c.devices.filter((d) => sensitiveIds.has(d.id)).map((d) => d.site));
  const type = f.params.deviceType;
  const sensitiveType = typeof type === 'string' && deviceTypes.get(type)?.sensitive;
  const rows = f.rows.filter(
    (r) => !sensitiveIds.has(r.key) && !(sensitiveType && sensitiveSites.has(r.key)),
  );
  return { ...f, rows };
}

export function buildReport(
  c: CommuneFile,
  run: KpiRun,
  meta: ReportMeta,
  extras: ReportExtras = {},
): ReportDoc {
  const body = {
    version: 1 as const,
    communeId: c.commune.id,
    communeName: c.commune.name,
    province: c.commune.province,
    place: c.kpi?.place ?? c.commune.name.replace(/^Xã\s+/i, ''),
    signerTitle: c.kpi?.signerTitle ?? 'CHỦ TỊCH',
    signerName: c.kpi?.signerName ?? null,
    fromTs: run.period.fromTs,
    toTs: run.period.toTs,
    periodLabel: periodLabel(run.period),
    nowTs: run.nowTs,
    scheduleId: meta.scheduleId,
    dueDate: meta.dueDate,
    figures: run.figures.map((f) => redactSensitive(c, f)),
    evidence: run.evidence,
    settingsHash: run.settingsHash,
    ...extras,
  };
  return { ...body, contentHash: contentHashOf(body) };
}

export function contentHashOf(doc: Omit<ReportDoc, 'contentHash'> | ReportDoc): string {
  const { contentHash: _, ...body } = doc as ReportDoc;
  return sha256(canonical(body));
}

/** "ngày 05 tháng 04 năm 2026" for an instant, Vietnam calendar. */
export function vnDateWords(ts: number): string {
  const d = localDate(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `ngày ${pad(d.day)} tháng ${pad(d.month)} năm ${d.year}`;
}

/** A figure as a person reads it: "97,30 %", "12", "35,5 phút" (vi) or "97.30 %" (en). */
export function formatValue(value: number | null, unit: KpiFigure['unit'], locale: 'vi' | 'en'): string {
  if (value === null) return locale === 'vi' ? 'chưa có số liệu' : 'no data';
  const n = new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', {
    maximumFractionDigits: 2,
    minimumFractionDigits: unit === 'pct' ? 2 : 0,
  }).format(value);
  const units = {
    pct: '%',
    count: '',
    minutes: locale === 'vi' ? 'phút' : 'min',
    hours: locale === 'vi' ? 'giờ' : 'h',
  };
  return units[unit] ? `${n} ${units[unit]}` : n;
}

/** File base name: ta-lai-2026-03-1a2b3c4d (commune, period start, hash prefix). */
export function reportId(doc: ReportDoc): string {
  const d = localDate(doc.fromTs);
  const e = localDate(doc.toTs - 1);
  const span = `${d.year}${String(d.month).padStart(2, '0')}${String(d.day).padStart(2, '0')}-${e.year}${String(e.month).padStart(2, '0')}${String(e.day).padStart(2, '0')}`;
  return `${doc.communeId}-${span}-${doc.contentHash.slice(0, 8)}`;
}
