/**
 * "Vườn thí điểm": the economics office's farm pilot (issue #13). Each plot with its crop and
 * moisture bounds, too dry / too wet first; its soil sensors' latest readings and how fresh they
 * are, battery (days until empty), LoRaWAN link health and yesterday's completeness; a moisture
 * chart per plot (a day, a week, 30 days, a crop season); the plots on a map; CSV / XLSX export of a
 * plot or the whole pilot. One column on a phone.
 */
import { api } from '../api.ts';
import { type MetricCharts, metricCharts } from '../components/device-charts.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { metricUnit } from '../components/metrics.ts';
import { plotMap } from '../components/plot-map.ts';
import { thresholdsEditor, thresholdsNote } from '../components/plot-thresholds.ts';
import { stateBadge } from '../components/state.ts';
import { formatDate, formatDateTime, formatNumber, formatRelative, reasonText, t } from '../i18n.ts';
import type { DeviceState } from '../types.ts';
import { definePage } from './page.ts';

type Params = Record<string, string | number>;
interface SoilSensor {
  id: string;
  name: string;
  sensorModel: string | null;
  state: DeviceState;
  reason: string;
  params: Params;
  lastHeardTs: number | null;
  latest: Record<string, { value: number; ts: number }>;
  battery: { metric: string; levelNow: number; slopePerDay: number; daysToEmpty: number | null } | null;
  link: {
    rssiDbm: number | null;
    snrDb: number | null;
    gatewayCount: number | null;
    lastUplinkTs: number | null;
    lostUplinksPct: number | null;
    fCntResets: number;
  } | null;
  completeness: Array<{ day: string; received: number; expected: number; pct: number | null }>;
}
export interface SoilPlot {
  communeId: string;
  siteId: string;
  name: string;
  hamletName: string;
  location: { lat: number; lon: number };
  crop: { id: string; name: string } | null;
  dryBelowPct: number | null;
  wetAbovePct: number | null;
  fileBounds: { dryBelowPct: number; wetAbovePct: number | null } | null;
  thresholdsSetBy: { username: string; ts: number } | null;
  /** The farm household: only the economics office gets it from the API. */
  household: { name: string; phone: string | null } | null;
  moisturePct: number | null;
  status: 'dry' | 'wet' | 'ok' | 'no-data';
  sensors: SoilSensor[];
  /** Irrigation runs reported from the plot in the last 7 days, newest first (empty: none reported). */
  irrigations: Array<{
    deviceId: string;
    startedTs: number;
    durationMin: number | null;
    volumeL: number | null;
  }>;
}

const REFRESH_MS = 60_000;
const DAY_MS = 86_400_000;

function withUnit(v: number | null | undefined, metric: string, digits = 1): string {
  if (v === null || v === undefined) return '–';
  const unit = metricUnit(metric);
  return unit ? `${formatNumber(v, digits)} ${unit}` : formatNumber(v, digits);
}

function reading(s: SoilSensor, metric: string, digits = 1): HTMLElement {
  const r = s.latest[metric];
  return h(
    'div',
    { class: 'soil-reading', 'data-metric': metric },
    h('span', { class: 'muted' }, t(`metric.${metric}`)),
    h('strong', {}, withUnit(r?.value, metric, digits)),
  );
}

function batteryLine(s: SoilSensor): string {
  const b = s.battery;
  if (!b) return t('farms.battery.none');
  const level = withUnit(b.levelNow, b.metric, b.metric === 'batteryV' ? 2 : 0);
  return b.daysToEmpty === null
    ? t('farms.battery.steady', { level })
    : t('farms.battery.days', { level, days: formatNumber(b.daysToEmpty, 0) });
}

function linkLine(s: SoilSensor): string {
  const l = s.link;
  if (!l || l.rssiDbm === null) return t('farms.link.none');
  return t('farms.link.text', {
    rssi: formatNumber(l.rssiDbm, 0),
    snr: formatNumber(l.snrDb ?? 0, 1),
    gateways: l.gatewayCount ?? 0,
    lost: l.lostUplinksPct === null ? '–' : formatNumber(l.lostUplinksPct, 1),
    resets: l.fCntResets,
  });
}

function sensorRow(s: SoilSensor): HTMLElement {
  const newest = Math.max(0, ...Object.values(s.latest).map((r) => r.ts));
  // Yesterday is the last whole local day; today is still filling.
  const day = s.completeness.at(-2) ?? s.completeness.at(-1);
  return h(
    'li',
    { class: 'soil-sensor', 'data-device-id': s.id, 'data-state': s.state },
    h(
      'div',
      { class: 'soil-sensor-head' },
      h('a', { href: `#/devices/${encodeURIComponent(s.id)}` }, s.name),
      stateBadge(s.state),
    ),
    s.state === 'up' ? null : h('div', { class: 'meta' }, reasonText(s.reason, s.params)),
    h(
      'div',
      { class: 'soil-readings' },
      reading(s, 'soilMoisturePct'),
      reading(s, 'soilTempC'),
      reading(s, 'soilEcUsCm', 0),
    ),
    h(
      'div',
      { class: 'meta soil-fresh' },
      newest > 0
        ? t('farms.updated', { at: formatDateTime(newest), ago: formatRelative(newest) })
        : t('farms.noReadings'),
    ),
    h('div', { class: 'meta soil-battery' }, batteryLine(s)),
    h('div', { class: 'meta soil-link' }, linkLine(s)),
    day
      ? h(
          'div',
          { class: 'meta soil-completeness', 'data-day': day.day },
          t('farms.completeness', {
            day: formatDate(day.day),
            received: day.received,
            expected: day.expected,
            pct: day.pct === null ? '–' : formatNumber(day.pct, 1),
          }),
        )
      : null,
  );
}

function boundsText(p: SoilPlot): string {
  if (p.dryBelowPct === null) return t('farms.noBounds');
  const dry = formatNumber(p.dryBelowPct, 1);
  return p.wetAbovePct === null
    ? t('farms.boundsDry', { dry })
    : t('farms.bounds', { dry, wet: formatNumber(p.wetAbovePct, 1) });
}

function plotCard(p: SoilPlot, charts: Map<string, MetricCharts>, reload: () => void): HTMLElement {
  const first = p.sensors[0];
  let chart: HTMLElement | null = null;
  if (first) {
    const key = `${p.siteId}|${first.id}`;
    let c = charts.get(key);
    if (!c) {
      c = metricCharts(first.id);
      charts.set(key, c);
    }
    chart = c.show(['soilMoisturePct']);
  }
  return h(
    'section',
    { class: `panel plot plot-${p.status}`, 'data-site-id': p.siteId, 'data-status': p.status },
    h(
      'div',
      { class: 'plot-head' },
      h('h2', {}, p.name),
      h('span', { class: `plot-badge plot-badge-${p.status}` }, t(`farms.status.${p.status}`)),
    ),
    h(
      'p',
      { class: 'muted plot-bounds' },
      `${p.hamletName} · ${p.crop?.name ?? t('farms.noCrop')} · ${boundsText(p)}`,
    ),
    p.household
      ? h(
          'p',
          { class: 'meta plot-household' },
          t('farms.household', { name: p.household.name }),
          p.household.phone ? [' · ', h('a', { href: `tel:${p.household.phone}` }, p.household.phone)] : null,
        )
      : null,
    thresholdsNote(p),
    thresholdsEditor(p, reload),
    h(
      'p',
      { class: 'plot-moisture' },
      t('farms.mean', { value: withUnit(p.moisturePct, 'soilMoisturePct') }),
    ),
    h('ul', { class: 'soil-sensors' }, p.sensors.map(sensorRow)),
    irrigationList(p),
    chart,
  );
}

/** The plot's recent irrigation runs, where something on it reports them; nothing otherwise. */
function irrigationList(p: SoilPlot): HTMLElement | null {
  if (p.irrigations.length === 0) return null;
  return h(
    'div',
    { class: 'plot-irrigation' },
    h('h3', {}, t('farms.irrigation.heading')),
    h(
      'ul',
      {},
      p.irrigations.map((r) =>
        h(
          'li',
          { 'data-started': r.startedTs },
          [
            formatDateTime(r.startedTs),
            r.durationMin === null
              ? null
              : t('farms.irrigation.minutes', { n: formatNumber(r.durationMin, 0) }),
            r.volumeL === null ? null : t('farms.irrigation.litres', { n: formatNumber(r.volumeL, 0) }),
          ]
            .filter((x) => x !== null)
            .join(' · '),
        ),
      ),
    ),
  );
}

/** Local (Asia/Ho_Chi_Minh) day YYYY-MM-DD of an instant: what a date input holds. */
function localDay(ts: number): string {
  return new Date(ts + 7 * 3_600_000).toISOString().slice(0, 10);
}

function exportPanel(plots: readonly SoilPlot[]): HTMLElement {
  const select = h(
    'select',
    { id: 'export-plot', name: 'plot' },
    h('option', { value: '' }, t('farms.export.all')),
    ...plots.map((p) => h('option', { value: p.siteId }, p.name)),
  ) as HTMLSelectElement;
  const from = h('input', {
    id: 'export-from',
    type: 'date',
    value: localDay(Date.now() - 6 * DAY_MS),
  }) as HTMLInputElement;
  const to = h('input', { id: 'export-to', type: 'date', value: localDay(Date.now()) }) as HTMLInputElement;
  // A date input shows the browser's own date layout; the period is also written dd/mm/yyyy.
  const period = h('p', { class: 'muted farm-export-period' });
  const showPeriod = () => {
    period.textContent = t('farms.export.period', { from: formatDate(from.value), to: formatDate(to.value) });
  };
  for (const el of [from, to]) el.addEventListener('change', showPeriod);
  showPeriod();
  const link = (format: 'csv' | 'xlsx') => {
    const a = h('a', { class: 'btn', 'data-format': format, download: '' }, t(`farms.export.${format}`));
    const update = () => {
      const q = new URLSearchParams({ format, from: from.value, to: to.value });
      if (select.value) q.set('plot', select.value);
      a.setAttribute('href', `/api/soil/export?${q}`);
    };
    for (const el of [select, from, to]) el.addEventListener('change', update);
    update();
    return a;
  };
  return h(
    'section',
    { class: 'panel farm-export' },
    h('h2', {}, t('farms.export.heading')),
    h(
      'div',
      { class: 'farm-export-form' },
      h('label', {}, t('farms.export.plot'), select),
      h('label', {}, t('farms.export.from'), from),
      h('label', {}, t('farms.export.to'), to),
      h('div', { class: 'farm-export-links' }, link('csv'), link('xlsx')),
    ),
    period,
  );
}

export function farmsPage(root: HTMLElement): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  const charts = new Map<string, MetricCharts>();
  const map = plotMap();
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async () => {
    clearTimeout(timer);
    try {
      const { plots } = (await api.soilPlots()) as { plots: SoilPlot[] };
      if (!alive) return;
      const dry = plots.filter((p) => p.status === 'dry').length;
      body.replaceChildren(
        h('p', { class: 'farm-summary', 'data-dry': dry }, t('farms.summary', { plots: plots.length, dry })),
        ...(plots.length ? [map.element] : []),
        ...(plots.length
          ? plots.map((p) => plotCard(p, charts, () => void load()))
          : [h('p', { class: 'muted' }, t('farms.none'))]),
        exportPanel(plots),
      );
      map.show(plots);
      body.dataset.loaded = 'true';
    } catch (err) {
      if (alive) body.replaceChildren(errorBox(err));
    }
    if (alive) timer = setTimeout(() => void load(), REFRESH_MS);
  };
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-farms', id: 'main' },
      h('div', { class: 'page-head' }, h('h1', {}, t('farms.heading'))),
      body,
    ),
  );
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
    for (const c of charts.values()) c.destroy();
    map.destroy();
  };
}

export const farms = definePage({
  id: 'farms',
  path: '/farms',
  titleKey: 'farms.title',
  navKey: 'nav.farms',
  // As the API's /api/soil routes: the economics office's pilot, and the admin.
  roles: ['economics', 'admin'],
  render: (root) => farmsPage(root),
});
