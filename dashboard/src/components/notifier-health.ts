/**
 * The notifiers' health (GET /api/alerts/notifiers), a panel of the Cảnh báo page for technicians
 * and admins: per notifier its backlog (and since when the oldest waits), what it set aside,
 * failed attempts since the service started, the last error as the server wrote it (never a
 * secret: the API redacts them) and the last message a provider took. A notifier that is down
 * shows here before anyone wonders why nobody was told.
 */
import { formatNumber, t } from '../i18n.ts';
import { h } from './dom.ts';
import { relTime } from './time.ts';

export interface NotifierHealthView {
  name: string;
  kind: string;
  pending: number;
  oldestPendingTs: number | null;
  sent: number;
  lastSentTs: number | null;
  dead: number;
  lastError: string | null;
  failedAttempts: number;
  pausedUntilTs: number | null;
}

function row(n: NotifierHealthView): HTMLElement {
  const troubled = n.lastError !== null || n.dead > 0;
  return h(
    'li',
    {
      class: `panel notifier${troubled ? ' troubled' : ''}`,
      'data-notifier': n.name,
      'data-pending': n.pending,
    },
    h('strong', {}, n.name),
    ' ',
    h('span', { class: 'muted' }, `(${n.kind})`),
    h(
      'p',
      { class: 'meta notifier-figures' },
      t('notifiers.figures', {
        pending: formatNumber(n.pending, 0),
        failed: formatNumber(n.failedAttempts, 0),
        dead: formatNumber(n.dead, 0),
        sent: formatNumber(n.sent, 0),
      }),
    ),
    n.oldestPendingTs !== null
      ? h('p', { class: 'meta' }, t('notifiers.oldest'), ' ', relTime(n.oldestPendingTs))
      : null,
    n.lastError !== null
      ? h(
          'p',
          { class: 'outage-reason notifier-error' },
          t('notifiers.lastError'),
          ' ',
          h('code', {}, n.lastError),
        )
      : null,
    h(
      'p',
      { class: 'meta notifier-last-sent' },
      n.lastSentTs === null
        ? t('notifiers.neverSent')
        : [t('notifiers.lastSent'), ' ', relTime(n.lastSentTs)],
    ),
  );
}

export function notifierHealthPanel(rows: readonly NotifierHealthView[]): HTMLElement {
  return h(
    'details',
    { class: 'panel notifiers-box', open: rows.some((n) => n.pending > 0 || n.lastError !== null) },
    h('summary', {}, t('notifiers.title')),
    rows.length === 0
      ? h('p', { class: 'muted' }, t('notifiers.none'))
      : h('ul', { class: 'plain-list notifiers' }, rows.map(row)),
  );
}
