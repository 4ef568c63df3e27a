/**
 * The dashboard's one time-series chart (uPlot): a metric's min–max band per bucket with the mean
 * as a line, from GET /api/devices/:id/series. Numbers and dates follow the UI language (1.234,5 and
 * 23/11/2026 14:05 in Asia/Ho_Chi_Minh for Vietnamese); the width follows the container, so a
 * phone gets a phone-wide chart. uPlot draws axes on a canvas, so the tick labels it drew are also
 * written to `data-x-ticks` / `data-y-ticks` (for the browser test, and for anyone inspecting).
 */
import uPlot from 'uplot';
import { formatDateTime, formatNumber, formatTime, TIME_ZONE, t } from '../i18n.ts';
import type { SeriesResponse } from '../types.ts';
import { h } from './dom.ts';
import { metricLabel, metricUnit } from './metrics.ts';

/** The period shown, epoch ms: the x axis spans it whole, so a device silent for part of it shows the gap. */
export interface ChartWindow {
  readonly fromTs: number;
  readonly toTs: number;
}

export interface Chart {
  readonly el: HTMLElement;
  /** Stops watching the size and frees the canvas. */
  destroy(): void;
}

const HEIGHT = 220;
const MEAN = '#1d4f82';
const BAND = 'rgba(29, 79, 130, 0.18)';
const EDGE = 'rgba(29, 79, 130, 0.35)';

/** Digits after the comma that tell apart ticks `incr` apart (0.25 → 2, 0.5 → 1, 5 → 0). */
function decimalsFor(incr: number): number {
  for (let d = 0; d < 6; d++) if (Math.abs(Math.round(incr * 10 ** d) - incr * 10 ** d) < 1e-6) return d;
  return 6;
}

/**
 * Columns for uPlot with a null after each silence much longer than the series' usual spacing, so
 * the line stops there instead of drawing a straight line across hours without a reading. A soil
 * sensor every 30 min keeps its line; a camera silent for 3 h gets a gap.
 */
function columns(points: SeriesResponse['points'], bucketMs: number): uPlot.AlignedData {
  const steps = points.slice(1).map((p, i) => p.ts - points[i]!.ts);
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)] ?? bucketMs;
  const gap = Math.max(5 * bucketMs, 3 * median);
  const cols: [number[], (number | null)[], (number | null)[], (number | null)[]] = [[], [], [], []];
  for (const [i, p] of points.entries()) {
    const prev = points[i - 1];
    if (prev && p.ts - prev.ts > gap) {
      cols[0].push(prev.ts + bucketMs);
      for (const c of [cols[1], cols[2], cols[3]]) c.push(null);
    }
    cols[0].push(p.ts);
    cols[1].push(p.min);
    cols[2].push(p.max);
    cols[3].push(p.mean);
  }
  return cols;
}

/** 14:05, with the date under the first tick and under each midnight; dd/mm over 7 or 30 days. */
function timeTicks(splits: number[], resolution: SeriesResponse['resolution']): string[] {
  let lastDay = '';
  return splits.map((ts) => {
    const [date = '', time = ''] = formatDateTime(ts).split(' ');
    const newDay = date !== lastDay;
    lastDay = date;
    if (resolution === '1h')
      return time === '00:00' || newDay ? date.slice(0, 5) : `${date.slice(0, 5)} ${time}`;
    return newDay ? `${formatTime(ts)}\n${date}` : formatTime(ts);
  });
}

function withUnit(v: number | null | undefined, unit: string, digits = 2): string {
  if (v === null || v === undefined) return '–';
  return unit ? `${formatNumber(v, digits)} ${unit}` : formatNumber(v, digits);
}

function options(data: SeriesResponse, win: ChartWindow, width: number, el: HTMLElement): uPlot.Options {
  const unit = metricUnit(data.metric ?? '');
  const value = (_u: uPlot, v: number | null) => withUnit(v, unit);
  return {
    width,
    height: HEIGHT,
    ms: 1,
    tzDate: (ts) => uPlot.tzDate(new Date(ts), TIME_ZONE),
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true, range: () => [win.fromTs, win.toTs] } },
    legend: { live: true },
    series: [
      { label: t('chart.time'), value: (_u, ts) => (ts === null ? '–' : formatDateTime(ts)) },
      { label: t('chart.min'), stroke: EDGE, width: 1, value },
      { label: t('chart.max'), stroke: EDGE, width: 1, value },
      { label: t('chart.mean'), stroke: MEAN, width: 2, value },
    ],
    bands: [{ series: [2, 1], fill: BAND }],
    axes: [
      {
        space: 70,
        size: 48,
        values: (_u, splits) => {
          const ticks = timeTicks(splits, data.resolution);
          el.dataset.xTicks = ticks.join(' | ');
          return ticks;
        },
      },
      {
        label: unit,
        labelSize: unit ? 18 : 0,
        size: (_u, values) => 16 + Math.max(2, ...(values ?? []).map((v) => v.length)) * 7,
        values: (_u, splits, _i, _space, incr) => {
          const ticks = splits.map((v) => formatNumber(v, decimalsFor(incr)));
          el.dataset.yTicks = ticks.join(' | ');
          return ticks;
        },
      },
    ],
  };
}

/** The chart of one series; the empty-state text when it has no points. */
export function timeSeriesChart(data: SeriesResponse, win: ChartWindow): Chart {
  const name = data.metric ? metricLabel(data.metric) : '';
  const unit = metricUnit(data.metric ?? '');
  const plot = h('div', { class: 'chart-plot' });
  const el = h(
    'figure',
    { class: 'chart', 'data-metric': data.metric ?? '', 'data-points': data.points.length },
    h('figcaption', { class: 'chart-title' }, unit ? `${name} (${unit})` : name),
    plot,
  );
  if (!data.points.length) {
    plot.append(h('p', { class: 'muted chart-empty' }, t('chart.empty')));
    return { el, destroy: () => {} };
  }
  const aligned = columns(data.points, data.resolution === '1m' ? 60_000 : 3_600_000);
  return fitted(el, plot, (width) => new uPlot(options(data, win, width, el), aligned, plot));
}

/** One KPI month by month (GET /api/kpis/trend): the months as `MM/YYYY`, values in the KPI's unit. */
export interface TrendData {
  readonly title: string;
  /** Unit shown on the axis (%, phút…). */
  readonly unit: string;
  readonly months: readonly string[];
  readonly values: readonly (number | null)[];
  readonly target: number;
}

const TARGET = '#b45309';

/**
 * A KPI's trend: its value per month as a line with points, the target as a dashed line. The x
 * axis is the month's index (months are not equally long; a leader reads "03/2026", not a date),
 * with the same vi/en number format, tick records and width-following as the time-series chart.
 */
export function trendChart(data: TrendData): Chart {
  const plot = h('div', { class: 'chart-plot' });
  const el = h(
    'figure',
    { class: 'chart trend-chart', 'data-points': data.values.filter((v) => v !== null).length },
    h('figcaption', { class: 'chart-title' }, data.unit ? `${data.title} (${data.unit})` : data.title),
    plot,
  );
  const xs = data.months.map((_, i) => i);
  const value = (_u: uPlot, v: number | null) => withUnit(v, data.unit);
  const opts = (width: number): uPlot.Options => ({
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false, range: () => [-0.5, data.months.length - 0.5] } },
    series: [
      { label: t('chart.month'), value: (_u, i) => (i === null ? '–' : (data.months[i] ?? '–')) },
      { label: t('chart.value'), stroke: MEAN, width: 2, points: { show: true, size: 7 }, value },
      { label: t('chart.target'), stroke: TARGET, width: 1.5, dash: [6, 4], points: { show: false }, value },
    ],
    axes: [
      {
        // "12/2026" is ~55 px wide: fewer ticks on a phone, every month on a desktop.
        space: 64,
        incrs: [1, 2, 3, 6],
        values: (_u, splits) => {
          const ticks = splits.map((i) => data.months[Math.round(i)] ?? '');
          el.dataset.xTicks = ticks.join(' | ');
          return ticks;
        },
      },
      {
        size: (_u, values) => 16 + Math.max(2, ...(values ?? []).map((v) => v.length)) * 7,
        values: (_u, splits, _i, _space, incr) => {
          const ticks = splits.map((v) => formatNumber(v, decimalsFor(incr)));
          el.dataset.yTicks = ticks.join(' | ');
          return ticks;
        },
      },
    ],
  });
  const aligned: uPlot.AlignedData = [xs, [...data.values], data.months.map(() => data.target)];
  return fitted(el, plot, (width) => new uPlot(opts(width), aligned, plot));
}

/**
 * Draws the chart once `plot` has a width and follows its width after: uPlot needs one in pixels,
 * and the container has it only once it is in the page and laid out.
 */
function fitted(el: HTMLElement, plot: HTMLElement, draw: (width: number) => uPlot) {
  let chart: uPlot | null = null;
  const watch = new ResizeObserver(() => {
    const width = Math.floor(plot.clientWidth);
    if (width <= 0) return;
    if (!chart) chart = draw(width);
    else if (width !== chart.width) chart.setSize({ width, height: HEIGHT });
  });
  watch.observe(plot);
  return {
    el,
    destroy() {
      watch.disconnect();
      chart?.destroy();
      chart = null;
    },
  };
}
