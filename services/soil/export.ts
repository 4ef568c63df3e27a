/**
 * A plot's (or the whole pilot's) soil readings over a period, as CSV or XLSX for the economics
 * office: Vietnamese headers, UTC ISO times beside Vietnam wall-clock times, decimal commas in the
 * CSV (Excel in a Vietnamese locale reads them as numbers, with `;` between fields), typed numbers
 * and one sheet per plot in the XLSX. `rowsOf` reads; the two renderers are pure.
 */
import ExcelJS from 'exceljs';
import type { Store } from '../store/store.ts';
import { type PlotRef, SOIL_METRICS } from './plots.ts';

type SoilMetric = (typeof SOIL_METRICS)[number];

/** Column headers (vi, the office's language) and the number format of each metric. */
const METRIC_COLUMNS: Readonly<Record<SoilMetric, { header: string; decimals: number }>> = {
  soilMoisturePct: { header: 'Độ ẩm đất (%)', decimals: 2 },
  soilTempC: { header: 'Nhiệt độ đất (°C)', decimals: 2 },
  soilEcUsCm: { header: 'Độ dẫn điện (µS/cm)', decimals: 0 },
  batteryPct: { header: 'Pin (%)', decimals: 0 },
  batteryV: { header: 'Pin (V)', decimals: 3 },
};
const HEAD = ['Vườn', 'Cảm biến', 'Mã thiết bị', 'Thời điểm (UTC, ISO 8601)', 'Giờ Việt Nam'] as const;
export const EXPORT_HEADERS: readonly string[] = [
  ...HEAD,
  ...SOIL_METRICS.map((m) => METRIC_COLUMNS[m].header),
];

const VN_OFFSET_MS = 7 * 3_600_000;
/** More rows than a pilot makes in a season (4 sensors × 72 a day × 180 days ≈ 52k): a bound, not a page. */
const MAX_READINGS = 500_000;

export interface ExportRow {
  readonly plotName: string;
  readonly sensorName: string;
  readonly deviceId: string;
  readonly ts: number;
  readonly values: Partial<Record<SoilMetric, number>>;
}

export interface ExportPlot {
  readonly name: string;
  readonly rows: readonly ExportRow[];
}

/** One row per sensor and uplink time, the metrics of that uplink side by side; oldest first per plot. */
export async function rowsOf(
  store: Pick<Store, 'query'>,
  plots: readonly PlotRef[],
  fromTs: number,
  toTs: number,
): Promise<ExportPlot[]> {
  const out: ExportPlot[] = [];
  for (const p of plots) {
    const rows: ExportRow[] = [];
    for (const d of p.sensors) {
      const byTs = new Map<number, ExportRow>();
      const readings = await store.query({
        communeId: d.communeId,
        deviceId: d.id,
        fromTs,
        toTs,
        limit: MAX_READINGS,
      });
      for (const r of readings) {
        if (!(SOIL_METRICS as readonly string[]).includes(r.metric)) continue;
        let row = byTs.get(r.ts);
        if (!row) {
          row = { plotName: p.name, sensorName: d.name, deviceId: d.id, ts: r.ts, values: {} };
          byTs.set(r.ts, row);
        }
        (row.values as Record<string, number>)[r.metric] = r.value;
      }
      rows.push(...byTs.values());
    }
    rows.sort((a, b) => a.ts - b.ts || a.deviceId.localeCompare(b.deviceId));
    out.push({ name: p.name, rows });
  }
  return out;
}

/** dd/mm/yyyy HH:mm:ss in Asia/Ho_Chi_Minh (UTC+7, no DST). */
export function vietnamTime(ts: number): string {
  const d = new Date(ts + VN_OFFSET_MS).toISOString();
  return `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)} ${d.slice(11, 19)}`;
}

function csvField(s: string): string {
  return /[";\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * UTF-8 with a BOM (so Excel reads the diacritics), `;` between fields and a decimal comma, no
 * thousands separator (28200, not 28.200: unambiguous to any parser). CRLF line ends (RFC 4180).
 */
export function renderCsv(plots: readonly ExportPlot[]): Buffer {
  const lines = [EXPORT_HEADERS.map(csvField).join(';')];
  for (const p of plots)
    for (const r of p.rows)
      lines.push(
        [
          csvField(r.plotName),
          csvField(r.sensorName),
          csvField(r.deviceId),
          new Date(r.ts).toISOString(),
          vietnamTime(r.ts),
          ...SOIL_METRICS.map((m) => {
            const v = r.values[m];
            return v === undefined ? '' : String(v).replace('.', ',');
          }),
        ].join(';'),
      );
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]);
}

/** A sheet name Excel accepts: at most 31 characters, none of : \ / ? * [ ], unique in the book. */
function sheetName(name: string, taken: Set<string>): string {
  const base =
    name
      .replace(/[:\\/?*[\]]/g, ' ')
      .trim()
      .slice(0, 28) || 'Vườn';
  let out = base;
  for (let i = 2; taken.has(out.toLowerCase()); i++) out = `${base} ${i}`;
  taken.add(out.toLowerCase());
  return out;
}

/**
 * One sheet per plot, the header row frozen; numbers as numbers (formatted by the reader's locale),
 * the Vietnam time as a date cell (Excel dates have no zone: it holds the wall-clock time) and the
 * UTC ISO time as text.
 */
export async function renderXlsx(plots: readonly ExportPlot[]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.creator = 'Canh Xã';
  const taken = new Set<string>();
  for (const p of plots) {
    const sheet = book.addWorksheet(sheetName(p.name, taken), { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = EXPORT_HEADERS.map((header, i) => ({ header, width: i < 2 ? 32 : i < 5 ? 22 : 18 }));
    sheet.getRow(1).font = { bold: true };
    for (const r of p.rows)
      sheet.addRow([
        r.plotName,
        r.sensorName,
        r.deviceId,
        new Date(r.ts).toISOString(),
        new Date(r.ts + VN_OFFSET_MS),
        ...SOIL_METRICS.map((m) => r.values[m] ?? null),
      ]);
    sheet.getColumn(5).numFmt = 'dd/mm/yyyy hh:mm:ss';
    SOIL_METRICS.forEach((m, i) => {
      const { decimals } = METRIC_COLUMNS[m];
      sheet.getColumn(HEAD.length + 1 + i).numFmt = decimals === 0 ? '0' : `0.${'0'.repeat(decimals)}`;
    });
  }
  if (plots.length === 0) book.addWorksheet('Không có dữ liệu');
  return Buffer.from(await book.xlsx.writeBuffer());
}
