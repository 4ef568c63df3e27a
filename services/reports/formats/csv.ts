import { t } from '../../shared/i18n/index.ts';
import type { ReportDoc } from '../report.ts';
import type { ReportFormat } from './report-format.ts';

/**
 * CSV, UTF-8 with a byte-order mark so Excel shows Vietnamese. One row per KPI (section `kpi`)
 * and per breakdown line (`row`), then the embedded report (`payload`, base64 JSON) so the file
 * can be verified. Comma-separated, RFC 4180 quoting.
 */
const BOM = '\uFEFF';
const HEADER = ['section', 'targetId', 'key', 'name', 'unit', 'target', 'value', 'status', 'planRef'];

const quote = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

export const csv: ReportFormat = {
  kind: 'csv',
  label: { vi: 'Bảng CSV (UTF-8)', en: 'CSV table (UTF-8)' },
  extension: 'csv',
  contentType: 'text/csv; charset=utf-8',
  async render(doc, locale) {
    const lines = [HEADER];
    for (const f of doc.figures) {
      lines.push([
        'kpi',
        f.targetId,
        '',
        f.name,
        f.unit,
        String(f.target),
        f.value === null ? '' : String(f.value),
        t(locale, `kpi.status.${f.status}`),
        f.planRef ?? '',
      ]);
      for (const r of f.rows)
        lines.push([
          'row',
          f.targetId,
          r.key,
          r.label,
          f.unit,
          '',
          r.value === null ? '' : String(r.value),
          String(r.basis.status ?? ''),
          '',
        ]);
    }
    lines.push(['payload', '', '', Buffer.from(JSON.stringify(doc)).toString('base64'), '', '', '', '', '']);
    lines.push(['contentHash', '', '', doc.contentHash, '', '', '', '', '']);
    return Buffer.from(`${BOM}${lines.map((l) => l.map(quote).join(',')).join('\r\n')}\r\n`, 'utf8');
  },
  async extract(file) {
    const text = file.toString('utf8').replace(/^\uFEFF/, '');
    const rows = parseCsv(text).filter((r) => r.length > 1);
    const payload = rows.find((r) => r[0] === 'payload')?.[3];
    if (!payload) throw new Error('not a Canh Xã report: no payload row');
    const doc = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as ReportDoc;
    const shown: Record<string, number | null> = {};
    for (const r of rows) if (r[0] === 'kpi') shown[r[1]!] = r[6] === '' ? null : Number(r[6]);
    return { doc, shown };
  },
};
