/**
 * Technicians' page (issue #11 item 6): what is down, unreachable or degraded now, one entry per
 * root cause with the devices behind it (grouped by the server, GET /api/outages); each internet
 * line's latency and loss over 24 h; Wi-Fi clients per day at community houses; loudspeakers per
 * hamlet. Phone first: one column, charts load only when a line is opened.
 */
import { WIFI_CLIENTS_METRIC } from '../../../services/protocol/metrics.ts';
import { api } from '../api.ts';
import { type Chart, timeSeriesChart } from '../components/chart.ts';
import { typeLabel } from '../components/device-row.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { gatewayHealthList } from '../components/gateway-health.ts';
import { stateBadge } from '../components/state.ts';
import { since } from '../components/time.ts';
import { type DayClients, dailyClients } from '../components/wifi-days.ts';
import { formatDate, formatNumber, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import { subscribe } from '../store.ts';
import type { OutageBrief as Brief, OutageGroup } from '../types.ts';
import { definePage } from './page.ts';

const DAY_MS = 86_400_000;
const REFRESH_MS = 15_000;

function where(d: Brief): HTMLElement {
  return h(
    'div',
    { class: 'meta' },
    d.hamletName,
    ' · ',
    d.siteName,
    ' · ',
    h('a', { href: href('device', d.id) }, t('outages.open')),
  );
}

function deviceLine(d: Brief): HTMLElement {
  return h(
    'li',
    { class: 'outage-device', 'data-device-id': d.id, 'data-state': d.state },
    stateBadge(d.state, 'compact'),
    ' ',
    h('a', { href: href('device', d.id) }, d.name),
    h('div', { class: 'meta' }, typeLabel(d), ' · ', d.hamletName, ' · ', d.siteName),
  );
}

function outageCard(o: OutageGroup): HTMLElement {
  const upstreamName = String(o.behind[0]?.params.name ?? o.causeId);
  return h(
    'li',
    {
      class: 'panel outage',
      'data-cause-id': o.causeId,
      'data-state': o.state,
      'data-behind': o.behind.length,
    },
    h(
      'div',
      { class: 'outage-head' },
      stateBadge(o.cause?.state ?? o.state),
      h('h3', {}, o.cause ? h('a', { href: href('device', o.cause.id) }, o.cause.name) : upstreamName),
    ),
    o.cause ? h('p', { class: 'outage-reason' }, reasonText(o.cause.reason, o.cause.params)) : null,
    o.behind.length
      ? h('p', { class: 'outage-reason' }, reasonText(o.behind[0]!.reason, o.behind[0]!.params))
      : null,
    o.cause ? where(o.cause) : h('div', { class: 'meta' }, t('outages.causeHidden')),
    o.sinceTs !== null ? h('p', { class: 'outage-since' }, since(o.sinceTs)) : null,
    o.behind.length
      ? h(
          'details',
          { class: 'outage-behind', open: o.behind.length <= 5 },
          h('summary', {}, t('outages.behind', { count: o.behind.length })),
          h('ul', { class: 'plain-list' }, o.behind.map(deviceLine)),
        )
      : null,
  );
}

/** The state badge in a panel's summary; `refreshBadges` swaps it when the state changes. */
function badgeSlot(d: Brief): HTMLElement {
  return h('span', { class: 'badge-slot', 'data-device-id': d.id }, stateBadge(d.state, 'compact'));
}

function refreshBadges(root: HTMLElement, devices: readonly Brief[]): void {
  const byId = new Map(devices.map((d) => [d.id, d]));
  for (const slot of root.querySelectorAll<HTMLElement>('.badge-slot[data-device-id]')) {
    const d = byId.get(slot.dataset.deviceId ?? '');
    if (d) slot.replaceChildren(stateBadge(d.state, 'compact'));
  }
}

/** A line's latency and loss over 24 h, drawn when its panel is opened. */
function uplinkPanel(d: Brief, charts: Chart[]): HTMLElement {
  const body = h('div', { class: 'charts-grid' });
  let loaded = false;
  const el = h(
    'details',
    { class: 'panel uplink', 'data-device-id': d.id },
    h('summary', {}, badgeSlot(d), ' ', d.name, h('span', { class: 'meta' }, ' · ', d.hamletName)),
    body,
  );
  el.addEventListener('toggle', async () => {
    if (!el.open || loaded) return;
    loaded = true;
    body.setAttribute('aria-busy', 'true');
    const toTs = Date.now();
    const results = await Promise.allSettled(['latencyMs', 'lossPct'].map((m) => api.series(d.id, m, '24h')));
    body.removeAttribute('aria-busy');
    body.replaceChildren(
      ...results.map((r) => {
        if (r.status === 'rejected') return errorBox(r.reason);
        const c = timeSeriesChart(r.value, { fromTs: toTs - DAY_MS, toTs });
        charts.push(c);
        return c.el;
      }),
    );
  });
  return el;
}

function daysTable(days: readonly DayClients[]): HTMLElement {
  const top = Math.max(1, ...days.map((x) => x.peak));
  return h(
    'table',
    { class: 'table wifi-days' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, t('outages.day')),
        h('th', {}, t('outages.peak')),
        h('th', {}, t('outages.mean')),
      ),
    ),
    h(
      'tbody',
      {},
      days.map((x) =>
        h(
          'tr',
          {},
          h('td', {}, formatDate(x.day)),
          h(
            'td',
            {},
            h('span', { class: 'bar', style: `width:${Math.round((x.peak / top) * 100)}%` }),
            formatNumber(x.peak, 0),
          ),
          h('td', {}, formatNumber(x.mean, 1)),
        ),
      ),
    ),
  );
}

/** Clients per day over 7 days, from the hourly series, aggregated here (Asia/Ho_Chi_Minh days). */
function wifiPanel(d: Brief): HTMLElement {
  const body = h('div', {});
  let loaded = false;
  const el = h(
    'details',
    { class: 'panel wifi', 'data-device-id': d.id },
    h('summary', {}, badgeSlot(d), ' ', d.siteName, h('span', { class: 'meta' }, ' · ', d.hamletName)),
    body,
  );
  el.addEventListener('toggle', async () => {
    if (!el.open || loaded) return;
    loaded = true;
    try {
      const s = await api.series(d.id, WIFI_CLIENTS_METRIC, '7d');
      body.replaceChildren(
        s.points.length
          ? daysTable(dailyClients(s.points))
          : h('p', { class: 'muted' }, t('outages.wifiNoData')),
      );
    } catch (err) {
      body.replaceChildren(errorBox(err));
    }
  });
  return el;
}

function speakersByHamlet(list: readonly Brief[]): HTMLElement {
  const byHamlet = new Map<string, Brief[]>();
  for (const d of list) byHamlet.set(d.hamletName, [...(byHamlet.get(d.hamletName) ?? []), d]);
  // Ấp 2 before Ấp 10: hamlets are numbered, so compare numbers as numbers.
  const hamlets = [...byHamlet].sort(([a], [b]) => a.localeCompare(b, 'vi', { numeric: true }));
  return h(
    'ul',
    { class: 'plain-list speakers' },
    hamlets.map(([hamlet, ds]) =>
      h('li', { class: 'hamlet' }, h('h3', {}, hamlet), h('ul', { class: 'plain-list' }, ds.map(deviceLine))),
    ),
  );
}

function section(title: string, hint: string | null, ...children: (Node | null)[]): HTMLElement {
  return h(
    'section',
    { class: 'outages-section' },
    h('h2', {}, title),
    hint ? h('p', { class: 'muted' }, hint) : null,
    ...children,
  );
}

export function outagesPage(root: HTMLElement): () => void {
  const list = h('ul', { class: 'plain-list outage-list', 'aria-live': 'polite' });
  const rest = h('div', {});
  const charts: Chart[] = [];
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-outages', id: 'main' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, t('outages.title')),
        h('p', { class: 'muted' }, t('outages.hint')),
      ),
      list,
      rest,
    ),
  );
  let first = true;
  const speakers = h('div', {});
  const monitors = h('div', { class: 'gateways-box' });
  let generation = 0;
  const load = async () => {
    const mine = ++generation;
    // The monitors' health apart: its failure must not hide the outages.
    api.gateways().then(
      (g) => mine === generation && monitors.replaceChildren(gatewayHealthList(g)),
      (err) => mine === generation && monitors.replaceChildren(errorBox(err)),
    );
    try {
      const r = await api.outages();
      if (mine !== generation) return;
      list.replaceChildren(
        ...(r.outages.length
          ? r.outages.map(outageCard)
          : [h('li', { class: 'muted no-outages' }, t('outages.none'))]),
      );
      list.dataset.loaded = 'true';
      // Lines and APs keep their open panels and charts: later answers only swap their badges.
      if (!first) {
        refreshBadges(rest, [...r.uplinks, ...r.wifiAps]);
        speakers.replaceChildren(speakersByHamlet(r.loudspeakers));
        return;
      }
      first = false;
      speakers.replaceChildren(speakersByHamlet(r.loudspeakers));
      rest.replaceChildren(
        section(
          t('outages.uplinks'),
          t('outages.uplinksHint'),
          ...r.uplinks.map((d) => uplinkPanel(d, charts)),
        ),
        section(
          t('outages.wifi'),
          t('outages.wifiHint'),
          ...(r.wifiAps.length
            ? r.wifiAps.map(wifiPanel)
            : [h('p', { class: 'muted' }, t('outages.wifiNone'))]),
        ),
        section(t('outages.speakers'), null, speakers),
        section(t('gateways.title'), t('gateways.hint'), monitors),
      );
    } catch (err) {
      if (mine === generation) list.replaceChildren(h('li', {}, errorBox(err)));
    }
  };
  void load();
  let pending = 0;
  // State changes arrive over the live stream (store.ts); refetch the grouping at most once a second.
  const unsubscribe = subscribe((c) => {
    if (c.kind === 'live' || (c.kind === 'device' && c.heard) || pending) return;
    pending = window.setTimeout(() => {
      pending = 0;
      void load();
    }, 1000);
  });
  // And every 15 s whatever the stream says: a state the stream missed (a transition the server
  // publishes no event for, a gap before its resync) still reaches the page.
  const every = window.setInterval(() => void load(), REFRESH_MS);
  return () => {
    unsubscribe();
    clearInterval(every);
    clearTimeout(pending);
    generation++;
    for (const c of charts) c.destroy();
  };
}

export const outages = definePage({
  id: 'outages',
  path: '/outages',
  titleKey: 'outages.title',
  navKey: 'nav.outages',
  roles: ['technician', 'admin'],
  render: (root) => outagesPage(root),
});
