/**
 * The device page's charts: one per telemetry metric, over 24 h, 7 d, 30 d or a crop season (one
 * switch for all).
 * The panel outlives the page's re-renders (each heartbeat redraws the page), so the chosen range
 * stays and the series are fetched again only when the range or the metrics change, or a minute on.
 */
import { api } from '../api.ts';
import { getLocale, t } from '../i18n.ts';
import type { SeriesRange, SeriesResponse } from '../types.ts';
import { type Chart, timeSeriesChart } from './chart.ts';
import { h } from './dom.ts';
import { errorBox } from './errors.ts';

const RANGES: readonly SeriesRange[] = ['24h', '7d', '30d', '120d'];
const RANGE_MS: Record<SeriesRange, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '120d': 120 * 86_400_000,
};
const REFRESH_MS = 60_000;
/** Stored readings that are not a measurement worth a curve (the heartbeat's sequence number). */
const NOT_CHARTED = new Set(['heartbeat']);

export interface MetricCharts {
  /** The panel for these metrics; fetches again when they, the range or the language changed, or a minute passed. */
  show(metrics: readonly string[]): HTMLElement;
  destroy(): void;
}

export function metricCharts(
  deviceId: string,
  /** Where a metric's series comes from; the device's series route unless given (a camera's drift route). */
  fetchSeries: (metric: string, range: SeriesRange) => Promise<SeriesResponse> = (m, r) =>
    api.series(deviceId, m, r),
): MetricCharts {
  let range: SeriesRange = '24h';
  let metrics: string[] = [];
  let loaded = '';
  let loadedTs = 0;
  let drawn: Chart[] = [];
  let generation = 0;

  const grid = h('div', { class: 'charts-grid' });
  const note = h('p', { class: 'muted chart-note' });
  const buttons = RANGES.map((r) =>
    h(
      'button',
      { type: 'button', class: 'chip', 'data-range': r, onclick: () => pick(r) },
      t(`chart.range.${r}`),
    ),
  );
  const panel = h(
    'section',
    { class: 'panel charts-panel' },
    h(
      'div',
      { class: 'charts-head' },
      h('h2', {}, t('chart.title')),
      h('div', { class: 'range-switch', role: 'group', 'aria-label': t('chart.range') }, buttons),
    ),
    note,
    grid,
  );

  function pick(r: SeriesRange): void {
    if (r === range) return;
    range = r;
    void load();
  }

  async function load(): Promise<void> {
    const mine = ++generation;
    loaded = `${range}|${getLocale()}|${metrics.join(',')}`;
    loadedTs = Date.now();
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.range === range));
    for (const b of buttons) b.classList.toggle('selected', b.dataset.range === range);
    note.textContent = t(range === '24h' ? 'chart.resolution.1m' : 'chart.resolution.1h');
    panel.setAttribute('aria-busy', 'true');
    const toTs = Date.now();
    const win = { fromTs: toTs - RANGE_MS[range], toTs };
    const results = await Promise.allSettled(metrics.map((m) => fetchSeries(m, range)));
    if (mine !== generation) return;
    panel.removeAttribute('aria-busy');
    for (const c of drawn) c.destroy();
    drawn = [];
    grid.replaceChildren(
      ...results.map((r) => {
        if (r.status === 'rejected') return errorBox(r.reason);
        const chart = timeSeriesChart(r.value, win);
        drawn.push(chart);
        return chart.el;
      }),
    );
    if (!metrics.length) grid.append(h('p', { class: 'muted chart-empty' }, t('chart.empty')));
    panel.dataset.range = range;
  }

  return {
    show(list) {
      metrics = [...new Set(list)].filter((m) => !NOT_CHARTED.has(m)).sort();
      const want = `${range}|${getLocale()}|${metrics.join(',')}`;
      if (want !== loaded || Date.now() - loadedTs > REFRESH_MS) void load();
      return panel;
    },
    destroy() {
      generation++;
      for (const c of drawn) c.destroy();
      drawn = [];
    },
  };
}
