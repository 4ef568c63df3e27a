/**
 * "Bản tin": did the scheduled bulletin play in every hamlet? The latest occurrences, newest first,
 * each listing the hamlets that missed it (with why, and the root cause behind a dead speaker or
 * line) before those that played it. One column on a phone.
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { formatDateTime, reasonText, t } from '../i18n.ts';
import { app } from '../store.ts';
import { definePage } from './page.ts';

type Params = Record<string, string | number>;
export interface HamletResult {
  hamletId: string;
  hamletName: string;
  outcome: 'played' | 'missed' | 'pending';
  cause?: string;
  reason: { code: string; params: Params };
  upstream?: { code: string; params: Params };
  confirmedBy?: { deviceId: string; startedTs: number };
}
export interface Occurrence {
  communeId: string;
  broadcastId: string;
  name: string;
  startTs: number;
  played: number;
  missed: number;
  hamlets: HamletResult[];
}

/** Occurrences shown: the last few days' bulletins, enough for a morning check. */
const SHOWN = 6;
const REFRESH_MS = 60_000;
const ORDER = { missed: 0, pending: 1, played: 2 } as const;

function hamletRow(r: HamletResult): HTMLElement {
  return h(
    'li',
    {
      class: `bulletin-hamlet outcome-${r.outcome}`,
      'data-hamlet-id': r.hamletId,
      'data-outcome': r.outcome,
    },
    h('span', { class: 'bulletin-badge' }, t(`broadcasts.${r.outcome}`)),
    h('strong', {}, r.hamletName),
    h('div', { class: 'meta', 'data-cause': r.cause ?? null }, reasonText(r.reason.code, r.reason.params)),
    r.upstream
      ? h(
          'div',
          { class: 'meta' },
          t('broadcasts.cause', { reason: reasonText(r.upstream.code, r.upstream.params) }),
        )
      : null,
  );
}

function occurrenceCard(o: Occurrence): HTMLElement {
  const commune = app.communes.find((c) => c.id === o.communeId)?.name ?? o.communeId;
  const hamlets = [...o.hamlets].sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome]);
  return h(
    'section',
    { class: 'panel bulletin', 'data-broadcast-id': o.broadcastId, 'data-start-ts': o.startTs },
    h('h2', {}, `${o.name} · ${formatDateTime(o.startTs)}`),
    h(
      'p',
      { class: 'muted' },
      commune,
      ' — ',
      t('broadcasts.summary', { played: o.played, missed: o.missed }),
    ),
    h('ul', { class: 'bulletin-hamlets' }, hamlets.map(hamletRow)),
  );
}

export function broadcastsPage(root: HTMLElement): () => void {
  const body = h('div', {}, h('p', { class: 'muted' }, t('app.loading')));
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async () => {
    clearTimeout(timer);
    try {
      const list = (await api.broadcasts()) as Occurrence[];
      if (!alive) return;
      body.replaceChildren(
        ...(list.length
          ? list.slice(0, SHOWN).map(occurrenceCard)
          : [h('p', { class: 'muted' }, t('broadcasts.none'))]),
      );
    } catch (err) {
      if (alive) body.replaceChildren(errorBox(err));
    }
    if (alive) timer = setTimeout(() => void load(), REFRESH_MS);
  };
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-broadcasts', id: 'main' },
      h('div', { class: 'page-head' }, h('h1', {}, t('broadcasts.heading'))),
      body,
    ),
  );
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

export const broadcasts = definePage({
  id: 'broadcasts',
  path: '/broadcasts',
  titleKey: 'broadcasts.title',
  navKey: 'nav.broadcasts',
  // The loudspeakers' audience, as the API's /api/broadcasts.
  roles: ['technician', 'leader', 'admin', 'province'],
  render: (root) => broadcastsPage(root),
});
