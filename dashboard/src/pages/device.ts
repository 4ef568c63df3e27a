/**
 * Device page: identity and provenance, current state, last heartbeat, latest readings, a chart
 * per metric over 24 h / 7 d / 30 d, the 24 h bar and the state history.
 */
import { api } from '../api.ts';
import { metricCharts } from '../components/device-charts.ts';
import { typeLabel } from '../components/device-row.ts';
import { h } from '../components/dom.ts';
import { errorBox, errorText } from '../components/errors.ts';
import { coordsWithLink } from '../components/geo.ts';
import { icon } from '../components/icons.ts';
import { formatValue, metricLabel } from '../components/metrics.ts';
import { stateBadge } from '../components/state.ts';
import { relTime, since } from '../components/time.ts';
import { timeline24h } from '../components/timeline.ts';
import { formatDate, formatDateTime, formatDuration, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import { app, subscribe } from '../store.ts';
import type { DeviceDetail, HistoryInterval } from '../types.ts';
import { definePage } from './page.ts';

const HISTORY_DAYS = 7;
const HEARD_REFRESH_MS = 10_000;
const HIDDEN_FIELDS = new Set(['v']);

function facts(rows: [string, Node | string | null | undefined][]): HTMLElement {
  return h(
    'dl',
    { class: 'facts' },
    rows.flatMap(([k, v]) => [
      h('dt', {}, k),
      h('dd', {}, v === null || v === undefined || v === '' ? '–' : v),
    ]),
  );
}

function identity(d: DeviceDetail): HTMLElement {
  const upstream = d.upstreamId ? app.devices.get(d.upstreamId) : undefined;
  return facts([
    [t('device.id'), h('code', {}, d.id)],
    [t('device.type'), typeLabel(d)],
    [t('device.site'), d.siteName],
    [t('device.hamlet'), d.hamletName],
    [t('device.vendorModel'), [d.vendor, d.model].filter(Boolean).join(' · ')],
    [t('device.contractor'), d.contractor],
    [t('device.budgetLine'), d.budgetLine],
    [t('device.installedAt'), formatDate(d.installedAt)],
    [t('device.commissionedAt'), formatDate(d.commissionedAt ?? d.installedAt)],
    [t('device.location'), d.location ? coordsWithLink(d.location) : null],
    [
      t('device.upstream'),
      d.upstreamId ? h('a', { href: href('device', d.upstreamId) }, upstream?.name ?? d.upstreamId) : null,
    ],
    [t('device.notes'), d.notes],
  ]);
}

function heartbeat(d: DeviceDetail): HTMLElement {
  const payload = d.lastHeartbeat ?? {};
  // `v` is the wire format's version: it tells a technician nothing about the device.
  const entries = Object.entries(payload).filter(([k]) => !HIDDEN_FIELDS.has(k));
  return h(
    'div',
    {},
    h('p', { class: 'hb-time' }, relTime(d.lastHeartbeatTs, { withAbsolute: true })),
    entries.length
      ? facts(entries.map(([k, v]) => [metricLabel(k), formatValue(k, v)]))
      : h('p', { class: 'muted' }, t('device.noHeartbeat')),
  );
}

function latest(d: DeviceDetail): HTMLElement {
  if (!d.latest?.length) return h('p', { class: 'muted' }, t('device.noTelemetry'));
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('telemetry.metric')),
          h('th', { class: 'num' }, t('telemetry.value')),
          h('th', {}, t('telemetry.time')),
        ),
      ),
      h(
        'tbody',
        {},
        d.latest.map((r) =>
          h(
            'tr',
            { 'data-metric': r.metric },
            h('td', {}, metricLabel(r.metric)),
            h('td', { class: 'num' }, formatValue(r.metric, r.value)),
            h('td', {}, relTime(r.ts, { withAbsolute: true })),
          ),
        ),
      ),
    ),
  );
}

function historyTable(list: readonly HistoryInterval[], now: number): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, t('history.empty'));
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'table history-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            t('history.state'),
            t('history.reason'),
            t('history.start'),
            t('history.end'),
            t('history.duration'),
          ].map((k) => h('th', {}, k)),
        ),
      ),
      h(
        'tbody',
        {},
        list
          .slice(0, 200)
          .map((iv) =>
            h(
              'tr',
              {},
              h('td', { class: 'h-state' }, stateBadge(iv.state, 'compact')),
              h('td', { class: 'h-reason' }, reasonText(iv.reason, iv.params)),
              h(
                'td',
                { class: 'nowrap h-start', 'data-label': t('history.start') },
                formatDateTime(iv.startTs),
              ),
              h(
                'td',
                { class: 'nowrap h-end', 'data-label': t('history.end') },
                iv.endTs === null ? t('history.ongoing') : formatDateTime(iv.endTs),
              ),
              h('td', { class: 'nowrap h-dur' }, formatDuration((iv.endTs ?? now) - iv.startTs)),
            ),
          ),
      ),
    ),
  );
}

/** Technicians and admins can mark planned work, so its downtime is not counted as an outage. */
function maintenanceButton(d: DeviceDetail, reload: () => void): HTMLElement | null {
  const role = app.user?.role;
  if (role !== 'technician' && role !== 'admin') return null;
  const on = d.state === 'maintenance';
  const msg = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const btn = h(
    'button',
    { type: 'button', class: 'btn', 'data-action': 'maintenance' },
    on ? t('device.maintenanceOff') : t('device.maintenanceOn'),
  );
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      await api.setMaintenance(d.id, !on);
      reload();
    } catch (err) {
      msg.textContent = errorText(err);
      msg.hidden = false;
      btn.disabled = false;
    }
  });
  return h('div', { class: 'maint' }, btn, msg);
}

function section(title: string, body: Node): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', {}, title), body);
}

export function devicePage(root: HTMLElement, id: string): () => void {
  const main = h(
    'main',
    { class: 'page page-device', id: 'main' },
    h('p', { class: 'muted' }, t('app.loading')),
  );
  root.replaceChildren(main);
  let shown: DeviceDetail | null = null;
  let alive = true;
  // Kept across reloads (a heartbeat re-renders the page): the chosen range and drawn charts stay.
  const charts = metricCharts(id);

  const load = async () => {
    const now = Date.now();
    try {
      const [d, hist] = await Promise.all([
        api.device(id),
        api.history(id, now - HISTORY_DAYS * 86_400_000, now),
      ]);
      if (!alive) return;
      shown = d;
      main.replaceChildren(
        h('a', { class: 'back', href: href('overview') }, icon('back'), t('device.back')),
        h(
          'div',
          { class: 'device-head' },
          h(
            'div',
            {},
            h('h1', {}, d.name),
            h('p', { class: 'muted' }, typeLabel(d), ' · ', d.siteName, ' · ', d.hamletName),
          ),
          h(
            'div',
            { class: 'device-state', 'data-device-id': d.id, 'data-state': d.state },
            stateBadge(d.state, 'large'),
            h('div', { class: 'reason' }, reasonText(d.reason, d.params)),
            d.sinceTs !== null ? h('div', { class: 'meta' }, since(d.sinceTs)) : null,
            maintenanceButton(d, () => void load()),
          ),
        ),
        h(
          'div',
          { class: 'device-grid' },
          section(t('device.info'), identity(d)),
          section(t('device.lastHeartbeat'), heartbeat(d)),
          section(t('device.latest'), latest(d)),
        ),
        charts.show(d.latest.map((r) => r.metric)),
        section(t('timeline.title'), timeline24h(hist, now)),
        section(t('history.title', { days: HISTORY_DAYS }), historyTable(hist, now)),
      );
    } catch (err) {
      if (alive)
        main.replaceChildren(
          h('a', { class: 'back', href: href('overview') }, icon('back'), t('device.back')),
          errorBox(err),
        );
    }
  };
  void load();

  let timer: ReturnType<typeof setTimeout> | undefined;
  let loadedTs = Date.now();
  const unsubscribe = subscribe((c) => {
    if (!shown || c.kind === 'live' || (c.kind === 'device' && c.id !== id)) return;
    const cur = app.devices.get(id);
    if (!cur) return;
    const stateChanged = cur.state !== shown.state || cur.sinceTs !== shown.sinceTs;
    // A heartbeat alone refreshes readings at most every 10 s; a state change at once.
    if (!stateChanged && (cur.lastHeardTs === shown.lastHeardTs || Date.now() - loadedTs < HEARD_REFRESH_MS))
      return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      loadedTs = Date.now();
      void load();
    }, 300);
  });
  return () => {
    alive = false;
    clearTimeout(timer);
    unsubscribe();
    charts.destroy();
  };
}

export const device = definePage({
  id: 'device',
  path: '/devices/:id',
  titleKey: 'nav.devices',
  // Everyone; the API answers 403 for a device of a type the role may not see (a camera).
  roles: ['police', 'economics', 'technician', 'leader', 'admin', 'province'],
  render: (root, params) => devicePage(root, params.id ?? ''),
});
