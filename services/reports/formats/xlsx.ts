import ExcelJS from 'exceljs';
import { t } from '../../shared/i18n/index.ts';
import type { ReportDoc } from '../report.ts';
import type { ReportFormat } from './report-format.ts';

/**
 * An Excel workbook a clerk can keep editing: sheet "Chỉ tiêu" holds each KPI with its target,
 * value and a formula status (change a target or a value and Đạt / Không đạt follows); sheet
 * "Chi tiết" the breakdown rows, with uptime recomputed by formula from its millisecond columns;
 * a hidden sheet "canhxa" the embedded report for verification.
 */
const KPI_SHEET = 'Chỉ tiêu';
const ROWS_SHEET = 'Chi tiết';
const DATA_SHEET = 'canhxa';

export const xlsx: ReportFormat = {
  kind: 'xlsx',
  label: { vi: 'Bảng tính Excel', en: 'Excel workbook' },
  extension: 'xlsx',
  contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  async render(doc, locale) {
    const wb = new ExcelJS.Workbook();
    wb.creator = 'Canh Xã';
    // Fixed dates keep the file a function of the report alone.
    wb.created = new Date(doc.nowTs);
    wb.modified = new Date(doc.nowTs);
    const ws = wb.addWorksheet(KPI_SHEET);
    ws.addRow([`${doc.communeName} — ${locale === 'vi' ? 'Kỳ' : 'Period'} ${doc.periodLabel}`]);
    ws.getRow(1).font = { bold: true, size: 13 };
    ws.addRow([
      'Mã',
      'Chỉ tiêu',
      'Đơn vị',
      'Hướng',
      'Mục tiêu',
      'Kết quả',
      'Đánh giá (công thức)',
      'Đánh giá của hệ thống',
      'Căn cứ kế hoạch',
    ]);
    ws.getRow(2).font = { bold: true };
    doc.figures.forEach((f, i) => {
      const r = i + 3;
      const meets = f.better === 'higher' ? `F${r}>=E${r}` : `F${r}<=E${r}`;
      ws.addRow([
        f.targetId,
        f.name,
        f.unit,
        f.better === 'higher' ? 'cao hơn là tốt' : 'thấp hơn là tốt',
        f.target,
        f.value,
        { formula: `IF(F${r}="","Chưa có số liệu",IF(${meets},"Đạt","Không đạt"))` },
        t(locale, `kpi.status.${f.status}`),
        f.planRef ?? '',
      ]);
    });
    ws.columns.forEach((c, i) => {
      c.width = [22, 60, 9, 14, 10, 10, 20, 22, 60][i];
    });
    const rs = wb.addWorksheet(ROWS_SHEET);
    rs.addRow([
      'Mã chỉ tiêu',
      'Mục',
      'Tên',
      'Kết quả',
      'Hoạt động (ms)',
      'Không phục vụ (ms)',
      'Bảo trì (ms)',
      'Không xác định (ms)',
      'Tỷ lệ tính lại (%)',
    ]);
    rs.getRow(1).font = { bold: true };
    for (const f of doc.figures)
      for (const row of f.rows) {
        const n = rs.rowCount + 1;
        const ms = (k: string) => (typeof row.basis[k] === 'number' ? (row.basis[k] as number) : null);
        rs.addRow([
          f.targetId,
          row.key,
          row.label,
          row.value,
          ms('availableMs'),
          ms('unavailableMs'),
          ms('maintenanceMs'),
          ms('unknownMs'),
          { formula: `IF(E${n}+F${n}=0,"",ROUND(100*E${n}/(E${n}+F${n}),2))` },
        ]);
      }
    rs.columns.forEach((c, i) => {
      c.width = [22, 16, 36, 10, 16, 18, 14, 18, 18][i];
    });
    const ds = wb.addWorksheet(DATA_SHEET, { state: 'hidden' });
    ds.addRow(['contentHash', doc.contentHash]);
    // A cell holds at most 32,767 characters: the payload is split over rows.
    const payload = Buffer.from(JSON.stringify(doc)).toString('base64');
    for (let i = 0; i < payload.length; i += 30_000) ds.addRow(['payload', payload.slice(i, i + 30_000)]);
    return Buffer.from(await wb.xlsx.writeBuffer());
  },
  async extract(file) {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file as unknown as ArrayBuffer);
    const ds = wb.getWorksheet(DATA_SHEET);
    const ws = wb.getWorksheet(KPI_SHEET);
    if (!ds || !ws) throw new Error('not a Canh Xã report: sheets missing');
    let payload = '';
    ds.eachRow((r) => {
      if (r.getCell(1).value === 'payload') payload += String(r.getCell(2).value);
    });
    const doc = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as ReportDoc;
    const shown: Record<string, number | null> = {};
    ws.eachRow((r, n) => {
      if (n < 3) return;
      const v = r.getCell(6).value;
      shown[String(r.getCell(1).value)] = typeof v === 'number' ? v : null;
    });
    return { doc, shown };
  },
};
