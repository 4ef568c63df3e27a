/**
 * Ingest health for admins and technicians. Two scopes, each labelled: the whole server (since its
 * start: totals, broker, store), and the user's commune (the devices their role may see: their
 * totals, refusals by reason with the card equal to the table's sum, the latest refusals).
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { icon } from '../components/icons.ts';
import { relTime } from '../components/time.ts';
import { formatDateTime, formatNumber, t, tCode } from '../i18n.ts';
import { href } from '../router.ts';
import { app, communeName } from '../store.ts';
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

/** The refusals the by-reason table lists, summed: the commune's "refused" card shows the same. */
export function refusedTotal(s: IngestStats): number {
  return s.visible?.refused ?? s.rejectsByReason.reduce((n, r) => n + r.count, 0);
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
  rows.push(
    h(
      'tr',
      { class: 'total-row' },
      h('th', { colspan: '3' }, t('ingest.total')),
      h('td', { class: 'num' }, formatNumber(refusedTotal(s))),
      h('td', {}, ''),
    ),
  );
  return table(
    [t('ingest.reason'), t('ingest.source'), t('ingest.device'), t('ingest.count'), t('ingest.last')],
    rows,
  );
}

/**
 * A refusal's reason in the reader's language, its code beside it, and the server's raw detail
 * (English, e.g. "Unexpected end of JSON input") only on demand.
 */
export function rejectReasonCell(r: Pick<RejectEntry, 'reason' | 'source'>): HTMLElement {
  return h(
    'td',
    { class: 'reason', 'data-reason': r.reason },
    tCode('reject', r.reason),
    h('div', { class: 'meta' }, h('code', {}, r.reason), ' · ', r.source),
  );
}

export function rawDetailCell(detail: string | null): HTMLElement {
  if (!detail) return h('td', { class: 'detail' }, '–');
  return h(
    'td',
    { class: 'detail' },
    h('details', { class: 'raw-detail' }, h('summary', {}, t('ingest.rawDetail')), h('code', {}, detail)),
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
      rejectReasonCell(r),
      rawDetailCell(r.detail),
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
  num(t('ingest.holdingAcks'), st.holdingAcks);
  num(t('ingest.peakBacklog'), st.peakBacklog);
  num(t('ingest.overloadRefusedQos0'), s.overloadRefusedQos0);
  num(t('ingest.parkedQos1'), s.parkedQos1);
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

/** The page's body: the user's commune first (what they came for), then the whole server. */
export function render(s: IngestStats, rejects: RejectEntry[]): HTMLElement[] {
  const communeId = s.visible?.communeId ?? app.user?.communeId ?? null;
  const refused = refusedTotal(s);
  const since = s.sinceTs ? formatDateTime(s.sinceTs, true) : '–';
  return [
    h(
      'section',
      { class: 'scope scope-commune', 'data-scope': 'commune' },
      h(
        'h2',
        { class: 'scope-title' },
        t('ingest.scopeCommune', { commune: communeId ? communeName(communeId) : t('ingest.scopeAll') }),
      ),
      h(
        'div',
        { class: 'stats' },
        stat(
          t('ingest.acceptedSinceStart'),
          s.visible?.accepted ?? Object.values(s.acceptedByDevice ?? {}).reduce((a, n) => a + n, 0),
          'stat-ok',
        ),
        stat(t('ingest.refusedAllTime'), refused, refused ? 'stat-bad stat-refused' : 'stat-refused'),
      ),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, t('ingest.byReasonAllTime')),
        h('p', { class: 'muted' }, t('ingest.scopeCommuneNote')),
        byReason(s),
      ),
      h('section', { class: 'panel' }, h('h2', {}, t('ingest.latest')), latestRejects(rejects)),
    ),
    h(
      'section',
      { class: 'scope scope-server', 'data-scope': 'server' },
      h('h2', { class: 'scope-title' }, t('ingest.scopeServer', { time: since })),
      h('p', { class: 'muted' }, t('ingest.scopeServerNote')),
      h(
        'div',
        { class: 'stats' },
        stat(t('ingest.acceptedSinceStart'), s.accepted, 'stat-ok'),
        stat(t('ingest.rejectedAtIngest'), s.rejected, s.rejected ? 'stat-bad' : ''),
        stat(t('ingest.batches'), s.batches),
      ),
      h(
        'div',
        { class: 'device-grid' },
        h('section', { class: 'panel' }, h('h2', {}, t('ingest.broker')), broker(s)),
        h('section', { class: 'panel' }, h('h2', {}, t('ingest.store')), store(s)),
      ),
    ),
  ];
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
      body.replaceChildren(...render(s, rejects));
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
