import { existsSync } from 'node:fs';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import { t } from '../../shared/i18n/index.ts';
import { appendix, trendCharts } from '../pdf-draw.ts';
import { formatValue, type ReportDoc, vnDateWords } from '../report.ts';
import type { ExtractedReport, ReportFormat } from './report-format.ts';

/**
 * PDF in the administrative layout of Nghị định 30/2020/NĐ-CP (Phụ lục I): issuing body and
 * number on the left, the national motto on the right, place and date, the title, the body, then
 * "Nơi nhận" and the signature block. Vietnamese needs a font with its diacritics: DejaVu Sans
 * from the system (Debian fonts-dejavu-core), found at run time. The report itself is embedded in
 * the document information (`CanhXaReportZ`, base64 of deflated JSON; files made before it carry
 * `CanhXaReport`, base64 JSON, still read) so the file can be verified.
 */
const FONT_DIRS = [
  '/usr/share/fonts/truetype/dejavu',
  '/usr/share/fonts/dejavu',
  '/usr/local/share/fonts/dejavu',
];

export function findDejaVu(dirs: readonly string[] = FONT_DIRS): {
  regular: string;
  bold: string;
  italic: string;
} {
  for (const d of dirs) {
    const f = {
      regular: `${d}/DejaVuSans.ttf`,
      bold: `${d}/DejaVuSans-Bold.ttf`,
      italic: `${d}/DejaVuSans-Oblique.ttf`,
    };
    if (existsSync(f.regular) && existsSync(f.bold))
      return existsSync(f.italic) ? f : { ...f, italic: f.regular };
  }
  throw new Error(
    `PDF reports need the DejaVu Sans fonts (Vietnamese diacritics); none found in ${dirs.join(', ')}. Fix: sudo apt-get install fonts-dejavu-core`,
  );
}

const MM = 72 / 25.4;
const vnInt = (n: number) => new Intl.NumberFormat('vi-VN').format(n);
const KEY = 'CanhXaReport';
/**
 * Deflated: pdfkit converts an info string character by character, and a monthly report of 500
 * devices is ~220 KB of JSON (half of a cold PDF render went on it; deflated it is a tenth).
 */
const KEY_Z = 'CanhXaReportZ';

export const pdf: ReportFormat = {
  kind: 'pdf',
  label: { vi: 'Văn bản PDF (Nghị định 30/2020/NĐ-CP)', en: 'PDF document (Decree 30/2020)' },
  extension: 'pdf',
  contentType: 'application/pdf',
  render(doc, locale) {
    const fonts = findDejaVu();
    const payload = deflateRawSync(JSON.stringify(doc)).toString('base64');
    const pd = new PDFDocument({
      size: 'A4',
      margins: { top: 20 * MM, bottom: 20 * MM, left: 30 * MM, right: 15 * MM },
      info: {
        Title: `Báo cáo chỉ tiêu hạ tầng số ${doc.communeName} kỳ ${doc.periodLabel}`,
        Author: `UBND ${doc.communeName}`,
        Creator: 'Canh Xã',
        CreationDate: new Date(doc.nowTs),
        [KEY_Z]: payload,
      } as PDFKit.DocumentInfo,
    });
    pd.registerFont('r', fonts.regular);
    pd.registerFont('b', fonts.bold);
    pd.registerFont('i', fonts.italic);
    const chunks: Buffer[] = [];
    pd.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<Buffer>((resolve, reject) => {
      pd.on('end', () => resolve(Buffer.concat(chunks)));
      pd.on('error', reject);
    });
    layout(pd, doc, locale);
    pd.end();
    return done;
  },
  async extract(file) {
    const raw = file.toString('latin1');
    const deflated = infoValue(raw, KEY_Z);
    const plain = deflated === null ? infoValue(raw, KEY) : null;
    if (deflated === null && plain === null)
      throw new Error('not a Canh Xã report: no embedded report in the PDF');
    let doc: ReportDoc;
    try {
      const json =
        deflated !== null
          ? inflateRawSync(Buffer.from(deflated, 'base64')).toString('utf8')
          : Buffer.from(plain!, 'base64').toString('utf8');
      doc = JSON.parse(json) as ReportDoc;
    } catch (err) {
      throw new Error(
        `the report embedded in this PDF (${deflated !== null ? KEY_Z : KEY}) is damaged and cannot be read (${(err as Error).message}); download the file again from the reports archive`,
      );
    }
    const shown = Object.fromEntries(doc.figures.map((f) => [f.targetId, f.value]));
    return { doc, shown } satisfies ExtractedReport;
  },
};

/** A base64 info value, written inline or (pdfkit) as its own object: /Key 20 0 R … 20 0 obj (…). */
function infoValue(raw: string, key: string): string | null {
  const ref = raw.match(new RegExp(`/${key} (\\d+) 0 R`));
  const m = ref
    ? raw.match(new RegExp(`(?:^|\\n)${ref[1]} 0 obj\\s*\\(([A-Za-z0-9+/=]+)\\)`))
    : raw.match(new RegExp(`/${key} \\(([A-Za-z0-9+/=]+)\\)`));
  return m ? m[1]! : null;
}

function layout(pd: PDFKit.PDFDocument, doc: ReportDoc, locale: 'vi' | 'en'): void {
  const left = pd.page.margins.left;
  const width = pd.page.width - left - pd.page.margins.right;
  const top = pd.page.margins.top;
  const colL = 62 * MM;
  const colR = width - colL;
  // Left: issuing body (upper case, the commune bold), a short rule, the number.
  pd.font('r').fontSize(12).text('ỦY BAN NHÂN DÂN', left, top, { width: colL, align: 'center' });
  pd.font('b').text(doc.communeName.toUpperCase(), { width: colL, align: 'center' });
  const yL = pd.y + 4;
  pd.moveTo(left + colL / 2 - 20, yL)
    .lineTo(left + colL / 2 + 20, yL)
    .lineWidth(0.5)
    .stroke();
  pd.font('r')
    .fontSize(13)
    .text('Số:       /BC-UBND', left, yL + 6, { width: colL, align: 'center' });
  // Right: the national motto, underlined, then place and date in italics.
  const motto = 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM';
  pd.font('b');
  pd.fontSize(fitSize(pd, motto, colR, 12)).text(motto, left + colL, top, { width: colR, align: 'center' });
  pd.font('b').fontSize(13).text('Độc lập - Tự do - Hạnh phúc', { width: colR, align: 'center' });
  const yR = pd.y + 3;
  const half = pd.widthOfString('Độc lập - Tự do - Hạnh phúc') / 2;
  pd.moveTo(left + colL + colR / 2 - half, yR)
    .lineTo(left + colL + colR / 2 + half, yR)
    .stroke();
  const placeDate = `${doc.place}, ${vnDateWords(doc.nowTs)}`;
  pd.font('i');
  pd.fontSize(fitSize(pd, placeDate, colR, 13)).text(placeDate, left + colL, yR + 6, {
    width: colR,
    align: 'center',
  });

  pd.moveDown(2);
  pd.font('b').fontSize(14).text('BÁO CÁO', left, pd.y, { width, align: 'center' });
  pd.font('b')
    .fontSize(13)
    .text(`Kết quả các chỉ tiêu hạ tầng số, IoT kỳ ${doc.periodLabel}`, { width, align: 'center' });
  pd.moveDown(1);
  pd.font('r')
    .fontSize(13)
    .text(
      `Ủy ban nhân dân ${doc.communeName} báo cáo kết quả các chỉ tiêu theo dõi hạ tầng số, IoT trên địa bàn kỳ ${doc.periodLabel}, số liệu tính đến ${vnDateWords(Math.min(doc.nowTs, doc.toTs))}${doc.dueDate ? ` (hạn báo cáo: ${doc.dueDate.split('-').reverse().join('/')})` : ''}, như sau:`,
      { width, align: 'justify', indent: 10 * MM },
    );
  pd.moveDown(0.5);
  table(pd, doc, locale, left, width);
  pd.moveDown(1);
  pd.font('b').fontSize(13).text('Quy tắc tính số liệu', left, pd.y, { width });
  const rules = [...new Set(doc.figures.flatMap((f) => f.rules))];
  pd.font('r').fontSize(11);
  for (const r of rules) pd.text(`- ${t(locale, r)}`, { width, align: 'justify' });
  pd.moveDown(0.5);
  pd.font('b').fontSize(13).text('Căn cứ số liệu', { width });
  pd.font('r').fontSize(11);
  for (const f of doc.figures) {
    const b = f.basis;
    const h = (k: string) =>
      typeof b[k] === 'number' ? `${Math.round(((b[k] as number) / 3_600_000) * 100) / 100} giờ` : null;
    const parts = [
      h('maintenanceMs') && `bảo trì ${h('maintenanceMs')}`,
      h('unknownMs') && `không xác định ${h('unknownMs')}`,
      h('unreachableMs') && `mất liên lạc do đường truyền ${h('unreachableMs')}`,
      typeof b.covered === 'number' &&
        `đạt ${b.covered}, không đánh giá được ${b.notJudged}, chưa có thiết bị ${b.noDevice}`,
      typeof b.outages === 'number' && `${b.outages} lần mất hoạt động`,
      typeof b.expected === 'number' &&
        typeof b.received === 'number' &&
        `nhận ${vnInt(b.received)} trên ${vnInt(b.expected)} bản tin dự kiến của ${b.sensors} cảm biến`,
    ].filter(Boolean);
    pd.text(`- ${f.name}: ${parts.join('; ') || '—'}.`, { width });
  }
  pd.moveDown(0.8);
  trendCharts(pd, doc.trend ?? [], left, width);
  signature(pd, doc, left, width);
  appendix(pd, doc, left, width);
}

/** The largest size up to `max` (half-point steps) at which the text fits on one line. */
function fitSize(pd: PDFKit.PDFDocument, text: string, width: number, max: number): number {
  let size = max;
  while (size > 8 && pd.fontSize(size).widthOfString(text) > width - 4) size -= 0.5;
  return size;
}

function table(
  pd: PDFKit.PDFDocument,
  doc: ReportDoc,
  locale: 'vi' | 'en',
  left: number,
  width: number,
): void {
  const cols = [12 * MM, width - 12 * MM - 25 * MM - 27 * MM - 30 * MM, 25 * MM, 27 * MM, 30 * MM];
  const head = ['STT', 'Chỉ tiêu', 'Mục tiêu', 'Kết quả', 'Đánh giá'];
  const row = (cells: string[], bold: boolean) => {
    pd.font(bold ? 'b' : 'r').fontSize(10.5);
    const h = Math.max(...cells.map((c, i) => pd.heightOfString(c, { width: cols[i]! - 6 }))) + 6;
    if (pd.y + h > pd.page.height - pd.page.margins.bottom) pd.addPage();
    const y = pd.y;
    let x = left;
    cells.forEach((c, i) => {
      pd.rect(x, y, cols[i]!, h).lineWidth(0.5).stroke();
      pd.text(c, x + 3, y + 3, { width: cols[i]! - 6, align: i === 1 ? 'left' : 'center' });
      x += cols[i]!;
    });
    pd.x = left;
    pd.y = y + h;
  };
  row(head, true);
  doc.figures.forEach((f, i) => {
    const target = `${f.better === 'higher' ? '≥' : '≤'} ${formatValue(f.target, f.unit, locale)}`;
    const name = f.planRef ? `${f.name}\n(${f.planRef})` : f.name;
    row(
      [
        String(i + 1),
        name,
        target,
        formatValue(f.value, f.unit, locale),
        t(locale, `kpi.status.${f.status}`),
      ],
      false,
    );
  });
}

function signature(pd: PDFKit.PDFDocument, doc: ReportDoc, left: number, width: number): void {
  if (pd.y + 60 * MM > pd.page.height - pd.page.margins.bottom) pd.addPage();
  pd.moveDown(1.5);
  const y = pd.y;
  const half = width / 2;
  pd.font('b').fontSize(12).text('Nơi nhận:', left, y, { width: half });
  pd.font('r').fontSize(11).text(`- UBND tỉnh ${doc.province};\n- Lưu: VT.`, { width: half });
  pd.font('b')
    .fontSize(13)
    .text('TM. ỦY BAN NHÂN DÂN', left + half, y, { width: half, align: 'center' });
  pd.text(doc.signerTitle, { width: half, align: 'center' });
  pd.font('i').fontSize(11).text('(Ký, ghi rõ họ tên, đóng dấu)', { width: half, align: 'center' });
  pd.moveDown(4);
  if (doc.signerName) pd.font('b').fontSize(13).text(doc.signerName, { width: half, align: 'center' });
  pd.moveDown(2);
  pd.font('r').fontSize(8).text(`Mã kiểm tra nội dung (SHA-256): ${doc.contentHash}`, left, pd.y, { width });
}
