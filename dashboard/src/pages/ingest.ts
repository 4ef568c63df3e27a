/** Ingest health for admins and technicians: counters, rejects by reason, latest rejects, broker and store. */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { icon } from '../components/icons.ts';
import { relTime } from '../components/time.ts';
import { formatDateTime, formatNumber, t, tCode } from '../i18n.ts';
import { href } from '../router.ts';
import { app } from '../store.ts';
import type { IngestStats, RejectEntry } from '../types.ts';
import { definePage } from './page.ts';

const REFRESH_MS = 10_000;

function stat(label: string, value: number | string, cls = ''): HTMLElement {
  return h(
    'div',
    { class: `stat ${cls}`.trim() },
    h('span', { class: 'stat-num' }, typeof value === 'number' ? formatNumber(value) : value),
    h('span', { class: 'stat-label' }, label),
  );
}

function deviceLink(id: string | null): Node | string {
  if (!id) return '–';
  const d = app.devices.get(id);
  return d ? h('a', { href: href('device', id) }, d.name, ' ', h('code', {}, id)) : h('code', {}, id);
}

function table(head: string[], rows: Node[], cls = ''): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: `table ${cls}`.trim() },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          head.map((x) => h('th', {}, x)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

function byReason(s: IngestStats): HTMLElement {
  if (!s.rejectsByReason.length) return h('p', { class: 'muted' }, t('ingest.noRejects'));
  const rows = [...s.rejectsByReason]
    .sort((a, b) => b.count - a.count)
    .map((r) =>
      h(
        'tr',
        { 'data-reason': r.reason },
        h('td', {}, tCode('reject', r.reason), h('div', { class: 'meta' }, h('code', {}, r.reason))),
        h('td', {}, r.source),
        h('td', {}, deviceLink(r.deviceId)),
        h('td', { class: 'num' }, formatNumber(r.count)),
        h('td', {}, relTime(r.lastTs, { withAbsolute: true })),
      ),
    );
  return table(
    [t('ingest.reason'), t('ingest.source'), t('ingest.device'), t('ingest.count'), t('ingest.last')],
    rows,
  );
}

function latestRejects(list: RejectEntry[]): HTMLElement {
  if (!list.length) return h('p', { class: 'muted' }, t('ingest.noRejects'));
  const rows = list.map((r) =>
    h(
      'tr',
      {},
      h('td', { class: 'nowrap' }, formatDateTime(r.ts, true)),
      h(
        'td',
        {},
        deviceLink(r.deviceId),
        r.clientId && r.clientId !== r.deviceId
          ? h('div', { class: 'meta' }, t('ingest.clientId'), ': ', r.clientId)
          : null,
      ),
      h('td', {}, tCode('reject', r.reason), h('div', { class: 'meta' }, r.source)),
      h('td', { class: 'detail' }, r.detail ?? '–'),
      h('td', { class: 'topic' }, r.topic ? h('code', {}, r.topic) : '–'),
    ),
  );
  return table(
    [t('ingest.time'), t('ingest.device'), t('ingest.reason'), t('ingest.detail'), t('ingest.topic')],
    rows,
    'rejects-table',
  );
}

function broker(s: IngestStats): HTMLElement {
  const refused = Object.entries(s.broker.refused ?? {}).sort((a, b) => b[1] - a[1]);
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'stats' },
      stat(t('ingest.clientsConnected'), s.broker.clientsConnected),
      stat(t('ingest.connectsAccepted'), s.broker.connectsAccepted),
      stat(t('ingest.publishesAccepted'), s.broker.publishesAccepted),
    ),
    h('h3', {}, t('ingest.refused')),
    refused.length
      ? table(
          [t('ingest.reason'), t('ingest.count')],
          refused.map(([reason, n]) =>
            h(
              'tr',
              { 'data-reason': reason },
              h('td', {}, tCode('reject', reason)),
              h('td', { class: 'num' }, formatNumber(n)),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('ingest.noRefusals')),
  );
}

function store(s: IngestStats): HTMLElement {
  const st = s.store;
  const rows: [string, Node | string][] = [];
  const num = (label: string, v: number | undefined) => {
    if (typeof v === 'number') rows.push([label, formatNumber(v)]);
  };
  num(t('ingest.pending'), st.pending ?? s.spool?.depth);
  num(t('ingest.inMemory'), st.inMemory);
  num(t('ingest.written'), st.written);
  num(t('ingest.quarantined'), st.quarantined);
  num(t('ingest.replayed'), st.replayed);
  num(t('ingest.heldAcks'), st.heldAcks);
  if (s.spool)
    rows.push([
      t('ingest.spoolFill'),
      `${formatNumber(s.spool.fillPct, 1)} %${s.spool.alarm ? ` — ${t('ingest.spoolAlarm')}` : ''}`,
    ]);
  rows.push([t('ingest.lastWrite'), relTime(st.lastWriteTs, { withAbsolute: true })]);
  rows.push([t('ingest.lastError'), st.lastError ?? s.spool?.lastError ?? '–']);
  const ok = st.ok && (s.spool?.ok ?? true);
  return h(
    'div',
    {},
    h(
      'p',
      {},
      h(
        'span',
        { class: `health ${ok ? 'health-ok' : 'health-bad'}` },
        ok ? t('ingest.storeOk') : t('ingest.storeBad'),
      ),
      ' ',
      h('code', {}, st.kind),
    ),
    h(
      'dl',
      { class: 'facts' },
      rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
    ),
  );
}

export function ingestPage(root: HTMLElement): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  const updated = h('span', { class: 'muted' });
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const load = async () => {
    clearTimeout(timer);
    try {
      const [s, rejects] = await Promise.all([api.ingestStats(), api.ingestRejects(50)]);
      if (!alive) return;
      body.replaceChildren(
        h(
          'div',
          { class: 'stats' },
          stat(t('ingest.accepted'), s.accepted, 'stat-ok'),
          stat(t('ingest.rejected'), s.rejected, s.rejected ? 'stat-bad' : ''),
          stat(t('ingest.batches'), s.batches),
        ),
        h(
          'div',
          { class: 'device-grid' },
          h('section', { class: 'panel' }, h('h2', {}, t('ingest.broker')), broker(s)),
          h('section', { class: 'panel' }, h('h2', {}, t('ingest.store')), store(s)),
        ),
        h('section', { class: 'panel' }, h('h2', {}, t('ingest.byReason')), byReason(s)),
        h('section', { class: 'panel' }, h('h2', {}, t('ingest.latest')), latestRejects(rejects)),
      );
      updated.textContent = t('ingest.updated', { time: formatDateTime(Date.now(), true) });
    } catch (err) {
      if (alive) body.replaceChildren(errorBox(err));
    }
    if (alive) timer = setTimeout(() => void load(), REFRESH_MS);
  };

  root.replaceChildren(
    h(
      'main',
      { class: 'page page-ingest', id: 'main' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, t('ingest.title')),
        h(
          'div',
          { class: 'head-tools' },
          updated,
          h(
            'button',
            { type: 'button', class: 'btn', onclick: () => void load() },
            icon('refresh'),
            t('ingest.refresh'),
          ),
        ),
      ),
      body,
    ),
  );
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

export const ingest = definePage({
  id: 'ingest',
  path: '/ingest',
  titleKey: 'ingest.title',
  navKey: 'nav.ingest',
  roles: ['technician', 'admin'],
  render: (root) => ingestPage(root),
});
