import { VN_OFFSET_MS } from '../kpi/periods.ts';
import type { FigureEvidence } from './appendix.ts';
import { formatValue, type ReportDoc } from './report.ts';
import type { TrendSeries } from './trend.ts';

/**
 * The PDF report's drawings with pdfkit's vector API (formats/pdf.ts lays out the text): the
 * month-by-month trend chart of each target against its target line, and the evidence appendix.
 * Numbers in Vietnamese format (97,5), times as dd/mm/yyyy HH:mm in Asia/Ho_Chi_Minh.
 */

const MM = 72 / 25.4;
const NUM = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 });
const INK = '#1f3b73';
const TARGET = '#c0392b';
const GRID = '#c8c8c8';

/** "05/03/2026 14:07", Vietnam time (UTC+7 all year). */
export function vnDateTime(ts: number): string {
  const d = new Date(ts + VN_OFFSET_MS);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

/** A y range with round ticks covering the values and the target (pct capped at 0–100). */
export function axisRange(
  values: readonly number[],
  unit: TrendSeries['unit'],
): { lo: number; hi: number; step: number } {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const raw = (hi - lo) / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  if (unit === 'pct') {
    lo = Math.max(0, lo);
    hi = Math.min(100, hi);
  } else lo = Math.max(0, lo);
  return { lo, hi: hi > lo ? hi : lo + step, step };
}

/** One series' chart in the box (x, y, w, h): title, y ticks, month labels, values, target line. */
export function trendChart(
  pd: PDFKit.PDFDocument,
  s: TrendSeries,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  pd.save();
  pd.font('b').fontSize(9).fillColor('black').text(s.name, x, y, { width: w, height: 22, ellipsis: true });
  const plotX = x + 11 * MM;
  const plotY = y + 24;
  const plotW = w - 11 * MM - 2;
  const plotH = h - 24 - 26;
  const known = s.points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const { lo, hi, step } = axisRange([...known, s.target], s.unit);
  const yOf = (v: number) => plotY + plotH - ((v - lo) / (hi - lo)) * plotH;
  const xOf = (i: number) => plotX + ((i + 0.5) * plotW) / s.points.length;
  pd.font('r').fontSize(6.5);
  for (let v = lo; v <= hi + step / 1000; v += step) {
    pd.moveTo(plotX, yOf(v))
      .lineTo(plotX + plotW, yOf(v))
      .lineWidth(0.3)
      .strokeColor(GRID)
      .stroke();
    pd.fillColor('#444').text(NUM.format(v), x, yOf(v) - 3, {
      width: 11 * MM - 3,
      align: 'right',
      lineBreak: false,
    });
  }
  pd.rect(plotX, plotY, plotW, plotH).lineWidth(0.5).strokeColor('#666').stroke();
  s.points.forEach((p, i) => {
    const [mm, yyyy] = p.label.split('/');
    const text = i === 0 || mm === '01' ? `${mm}/${yyyy!.slice(2)}` : mm!;
    pd.fillColor('#444').text(text, xOf(i) - 10, plotY + plotH + 3, {
      width: 20,
      align: 'center',
      lineBreak: false,
    });
  });
  // Target: dashed, across the whole plot.
  pd.moveTo(plotX, yOf(s.target))
    .lineTo(plotX + plotW, yOf(s.target))
    .dash(3, { space: 2 })
    .lineWidth(1)
    .strokeColor(TARGET)
    .stroke()
    .undash();
  // Values: a line through consecutive known months, a dot on each.
  let open = false;
  s.points.forEach((p, i) => {
    if (p.value === null) {
      open = false;
      return;
    }
    if (open) pd.lineTo(xOf(i), yOf(p.value));
    else pd.moveTo(xOf(i), yOf(p.value));
    open = true;
  });
  pd.lineWidth(1.2).strokeColor(INK).stroke();
  s.points.forEach((p, i) => {
    if (p.value !== null) pd.circle(xOf(i), yOf(p.value), 1.6).fillColor(INK).fill();
  });
  const unit = formatValue(s.target, s.unit, 'vi');
  pd.font('r').fontSize(6.5).fillColor('#444');
  pd.text(
    `— Kết quả theo tháng   - - Mục tiêu ${s.better === 'higher' ? '≥' : '≤'} ${unit}`,
    plotX,
    plotY + plotH + 13,
    {
      width: plotW,
      lineBreak: false,
    },
  );
  pd.restore();
  pd.fillColor('black').strokeColor('black');
}

/** Every series, two charts a row, new page when the next row does not fit. */
export function trendCharts(
  pd: PDFKit.PDFDocument,
  series: readonly TrendSeries[],
  left: number,
  width: number,
): void {
  if (series.length === 0) return;
  const gap = 6 * MM;
  const w = (width - gap) / 2;
  const h = 52 * MM;
  const bottom = () => pd.page.height - pd.page.margins.bottom;
  if (pd.y + 14 + h > bottom()) pd.addPage();
  pd.font('b')
    .fontSize(13)
    .fillColor('black')
    .text('Diễn biến theo tháng (12 tháng gần nhất)', left, pd.y, { width });
  let y = pd.y + 4;
  for (let i = 0; i < series.length; i += 2) {
    if (y + h > bottom()) {
      pd.addPage();
      y = pd.page.margins.top;
    }
    trendChart(pd, series[i]!, left, y, w, h);
    if (series[i + 1]) trendChart(pd, series[i + 1]!, left + w + gap, y, w, h);
    y += h + 3 * MM;
  }
  pd.x = left;
  pd.y = y;
}

/** The appendix: per figure, its outages' count and the longest with device, hamlet and times. */
export function appendix(pd: PDFKit.PDFDocument, doc: ReportDoc, left: number, width: number): void {
  const ev = doc.appendix ?? [];
  if (ev.length === 0) return;
  pd.addPage();
  pd.font('b')
    .fontSize(13)
    .fillColor('black')
    .text('PHỤ LỤC', left, pd.page.margins.top, { width, align: 'center' });
  pd.font('b')
    .fontSize(12)
    .text('Căn cứ số liệu: các lần mất hoạt động dài nhất', { width, align: 'center' });
  pd.font('i')
    .fontSize(10)
    .text(`(Kèm theo Báo cáo kỳ ${doc.periodLabel}; thời gian theo giờ Việt Nam, tính trong giờ phục vụ)`, {
      width,
      align: 'center',
    });
  pd.moveDown(0.8);
  const names = new Map(doc.figures.map((f) => [f.targetId, f.name]));
  ev.forEach((e, k) => {
    figureEvidence(pd, e, `${k + 1}. ${names.get(e.targetId) ?? e.targetId}`, left, width);
  });
}

function figureEvidence(
  pd: PDFKit.PDFDocument,
  e: FigureEvidence,
  title: string,
  left: number,
  width: number,
): void {
  const bottom = () => pd.page.height - pd.page.margins.bottom;
  if (pd.y + 60 > bottom()) pd.addPage();
  pd.font('b').fontSize(11).text(title, left, pd.y, { width });
  const hidden =
    e.hiddenSensitive > 0 ? `, trong đó ${e.hiddenSensitive} lần của camera (chỉ nêu số tổng hợp)` : '';
  pd.font('r').fontSize(10).text(`Số lần mất hoạt động trong kỳ: ${e.outages}${hidden}.`, { width });
  if (e.longest.length === 0) {
    pd.moveDown(0.6);
    return;
  }
  const cols = [0.25, 0.18, 0.21, 0.21, 0.15].map((c) => c * width);
  const row = (cells: string[], bold: boolean) => {
    pd.font(bold ? 'b' : 'r').fontSize(8.5);
    const h = Math.max(...cells.map((c, i) => pd.heightOfString(c, { width: cols[i]! - 4 }))) + 4;
    if (pd.y + h > bottom()) pd.addPage();
    const y = pd.y;
    let x = left;
    cells.forEach((c, i) => {
      pd.rect(x, y, cols[i]!, h).lineWidth(0.4).stroke();
      pd.text(c, x + 2, y + 2, { width: cols[i]! - 4, align: i < 2 ? 'left' : 'center' });
      x += cols[i]!;
    });
    pd.x = left;
    pd.y = y + h;
  };
  pd.moveDown(0.2);
  row(['Thiết bị', 'Ấp', 'Bắt đầu', 'Kết thúc', 'Số phút'], true);
  for (const o of e.longest)
    row(
      [
        o.rootCause ? `${o.device} (do ${o.rootCause})` : o.device,
        o.hamlet,
        vnDateTime(o.startTs),
        vnDateTime(o.endTs),
        NUM.format(o.countedMin),
      ],
      false,
    );
  pd.moveDown(0.6);
}
