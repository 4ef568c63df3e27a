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

export function historyTable(list: readonly HistoryInterval[], now: number): HTMLElement {
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

/** A datetime-local value (the browser's time) for an epoch ms, to the minute. */
function localInput(ts: number): string {
  const d = new Date(ts - new Date(ts).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

/**
 * Technicians and admins mark planned work, so its downtime is not counted as an outage: a reason
 * and a planned end (it ends itself then), optionally a later start, confirmed before it is sent.
 * In maintenance: who set it, why, until when, and the button that ends it.
 */
export function maintenanceBox(d: DeviceDetail, reload: () => void): HTMLElement | null {
  const role = app.user?.role;
  // As the API's rule (services/api/maintenance.ts mayMaintain): the police their cameras only.
  if (d.type === 'camera' ? role !== 'police' : role !== 'technician' && role !== 'admin') return null;
  const msg = h('div', { class: 'alert alert-error', role: 'alert', hidden: true, id: 'maintenance-error' });
  const fail = (err: unknown) => {
    msg.textContent = errorText(err);
    msg.hidden = false;
  };
  const box = h('div', { class: 'maint' });
  if (d.state === 'maintenance') {
    const m = d.maintenance;
    const off = h(
      'button',
      { type: 'button', class: 'btn', 'data-action': 'maintenance' },
      t('device.maintenanceOff'),
    );
    off.addEventListener('click', async () => {
      if (!window.confirm(t('maintenance.offConfirm', { name: d.name }))) return;
      off.disabled = true;
      try {
        await api.setMaintenance(d.id, false);
        reload();
      } catch (err) {
        fail(err);
        off.disabled = false;
      }
    });
    if (m)
      box.append(
        h(
          'div',
          { class: 'maint-info', id: 'maintenance-info' },
          m.reason ? h('div', {}, m.reason) : null,
          h(
            'div',
            { class: 'meta' },
            m.untilTs ? t('maintenance.until', { at: formatDateTime(m.untilTs) }) : t('maintenance.noEnd'),
          ),
          h(
            'div',
            { class: 'meta' },
            m.setBy?.startsWith('window:') && m.untilTs
              ? t('maintenance.inWindow', { at: formatDateTime(m.untilTs) })
              : t('maintenance.setBy', { who: m.setBy ?? '–', at: formatDateTime(m.setTs) }),
          ),
        ),
      );
    box.append(off, msg);
    return box;
  }
  const open = h(
    'button',
    { type: 'button', class: 'btn', 'data-action': 'maintenance' },
    t('device.maintenanceOn'),
  );
  const reason = h('textarea', { id: 'maintenance-reason', rows: 2, maxlength: 500, required: true });
  const until = h('input', {
    id: 'maintenance-until',
    type: 'datetime-local',
    required: true,
    value: localInput(Date.now() + 4 * 3_600_000),
  });
  const start = h('input', { id: 'maintenance-start', type: 'datetime-local' });
  const field = (el: HTMLElement, label: string, help?: string) =>
    h(
      'div',
      { class: 'field' },
      h('label', { for: el.id }, label),
      el,
      help ? h('p', { class: 'muted field-help' }, help) : null,
    );
  const summary = h('div', { class: 'maint-confirm', id: 'maintenance-confirm', hidden: true });
  const form = h(
    'form',
    { class: 'maint-form', hidden: true, novalidate: true },
    field(reason, t('maintenance.reason')),
    field(until, t('maintenance.plannedEnd')),
    field(start, t('maintenance.plannedStart'), t('maintenance.startHelp')),
    h(
      'div',
      { class: 'maint-buttons' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('maintenance.review')),
    ),
  );
  open.addEventListener('click', () => {
    form.hidden = false;
    open.hidden = true;
    reason.focus();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.hidden = true;
    const untilTs = until.value ? new Date(until.value).getTime() : Number.NaN;
    const startTs = start.value ? new Date(start.value).getTime() : undefined;
    const problem =
      reason.value.trim().length < 3
        ? t('maintenance.needReason')
        : !Number.isFinite(untilTs) || untilTs <= (startTs ?? Date.now())
          ? t('maintenance.needEnd')
          : null;
    if (problem) {
      msg.textContent = problem;
      msg.hidden = false;
      return;
    }
    const confirmBtn = h(
      'button',
      { type: 'button', class: 'btn btn-primary', 'data-action': 'maintenance-confirm' },
      t('maintenance.confirm'),
    );
    const back = h('button', { type: 'button', class: 'btn' }, t('maintenance.back'));
    summary.replaceChildren(
      h(
        'p',
        {},
        t(startTs ? 'maintenance.confirmPlan' : 'maintenance.confirmNow', {
          name: d.name,
          from: formatDateTime(startTs ?? Date.now()),
          to: formatDateTime(untilTs),
        }),
      ),
      h('p', { class: 'meta' }, reason.value.trim()),
      h('div', { class: 'maint-buttons' }, confirmBtn, back),
    );
    summary.hidden = false;
    form.hidden = true;
    back.addEventListener('click', () => {
      summary.hidden = true;
      form.hidden = false;
    });
    confirmBtn.addEventListener('click', async () => {
      confirmBtn.disabled = true;
      try {
        await api.startMaintenance(d.id, {
          reason: reason.value.trim(),
          untilTs,
          ...(startTs !== undefined ? { startTs } : {}),
        });
        reload();
      } catch (err) {
        fail(err);
        confirmBtn.disabled = false;
      }
    });
  });
  box.append(open, form, summary, msg);
  return box;
}

/** Admins: a new MQTT password for a stolen or re-flashed device, shown once. */
function secretButton(d: DeviceDetail): HTMLElement | null {
  if (app.user?.role !== 'admin') return null;
  const out = h('div', { id: 'device-secret' });
  const btn = h(
    'button',
    { type: 'button', class: 'btn', 'data-action': 'rotate-secret' },
    t('device.rotateSecret'),
  );
  btn.addEventListener('click', async () => {
    if (!window.confirm(t('device.rotateConfirm', { name: d.name }))) return;
    btn.disabled = true;
    try {
      const r = await api.rotateDeviceSecret(d.id);
      out.replaceChildren(
        h(
          'div',
          { class: 'alert alert-ok one-time', role: 'status' },
          h('p', {}, t('device.rotated')),
          h('p', {}, h('code', { class: 'secret' }, r.password)),
          h('p', { class: 'muted' }, t('users.resetOnce')),
        ),
      );
    } catch (err) {
      out.replaceChildren(errorBox(err));
    } finally {
      btn.disabled = false;
    }
  });
  return h('div', { class: 'maint' }, btn, out);
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
            maintenanceBox(d, () => void load()),
            secretButton(d),
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
