/**
 * "Cảnh báo" (issue #14): the open alerts the reader may see, worst severity first and by hamlet
 * (the server sorts), each with where, since when, why, the devices behind it, and buttons to
 * acknowledge or resolve with a note; then the latest resolved ones. Phone first: one column. The
 * acknowledge link of a Telegram or e-mail message lands here (#/alerts?ack=<id>) and marks it.
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { type NotifierHealthView, notifierHealthPanel } from '../components/notifier-health.ts';
import { since } from '../components/time.ts';
import { formatDateTime, reasonText, t } from '../i18n.ts';
import { app } from '../store.ts';
import { definePage } from './page.ts';

const REFRESH_MS = 15_000;

interface AlertView {
  id: number;
  status: 'firing' | 'acknowledged' | 'resolved';
  severity: string;
  kind: string;
  deviceName: string;
  hamletName: string;
  siteName: string;
  reason: string;
  params: Record<string, string | number>;
  sinceTs: number;
  behind: Array<{ id: string; name: string }>;
  behindCount: number;
  ackedBy: string | null;
  ackNote: string | null;
  resolvedTs: number | null;
  resolvedBy: string | null;
}

function card(a: AlertView, act: (action: 'acknowledge' | 'resolve', note: string) => void, marked: boolean) {
  const note = h('input', {
    type: 'text',
    class: 'alert-note',
    placeholder: t('alerts.note'),
    maxlength: 500,
  });
  const hidden = a.behindCount - a.behind.length;
  return h(
    'li',
    {
      class: `panel alert${marked ? ' marked' : ''}`,
      'data-alert-id': a.id,
      'data-status': a.status,
      'data-severity': a.severity,
    },
    h(
      'div',
      { class: 'alert-head' },
      h('span', { class: `badge sev-${a.severity}` }, t(`alert.severity.${a.severity}`)),
      ' ',
      h('strong', {}, a.deviceName),
    ),
    // A report's alert has no place: no empty "·" line.
    a.hamletName || a.siteName
      ? h('div', { class: 'meta' }, [a.hamletName, a.siteName].filter(Boolean).join(' · '))
      : null,
    h('p', {}, reasonText(a.reason, a.params)),
    h('p', { class: 'alert-since' }, since(a.sinceTs)),
    a.behindCount > 0
      ? h(
          'p',
          { class: 'meta' },
          t('alert.line.behind', {
            count: a.behindCount,
            names: a.behind.map((b) => b.name).join(', ') + (hidden > 0 ? ` (+${hidden})` : ''),
          }),
        )
      : null,
    a.status === 'acknowledged'
      ? h(
          'p',
          { class: 'meta alert-acked' },
          t('alerts.ackedBy', { user: a.ackedBy ?? '', note: a.ackNote ?? '' }),
        )
      : null,
    a.status === 'resolved'
      ? h(
          'p',
          { class: 'meta' },
          t('alerts.resolvedAt', { time: formatDateTime(a.resolvedTs ?? 0), user: a.resolvedBy ?? '—' }),
        )
      : h(
          'div',
          { class: 'alert-actions' },
          note,
          a.status === 'firing'
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'btn',
                  'data-action': 'acknowledge',
                  onclick: () => act('acknowledge', note.value),
                },
                t('alerts.acknowledge'),
              )
            : null,
          h(
            'button',
            {
              type: 'button',
              class: 'btn secondary',
              'data-action': 'resolve',
              onclick: () => act('resolve', note.value),
            },
            t('alerts.resolve'),
          ),
        ),
  );
}

function alertsPage(root: HTMLElement): () => void {
  const marked = Number(new URLSearchParams(location.hash.split('?')[1] ?? '').get('ack') ?? 0);
  const openList = h('ul', { class: 'plain-list alerts-open' });
  const historyList = h('ul', { class: 'plain-list alerts-history' });
  const status = h('div', { class: 'alerts-status', 'aria-live': 'polite' });
  // Who fixes the channels sees them: a notifier that is down is why nobody was told.
  const seesNotifiers = app.user?.role === 'technician' || app.user?.role === 'admin';
  const notifiers = h('div', { class: 'notifiers-health' });
  root.replaceChildren(
    h('h2', {}, t('alerts.title')),
    status,
    openList,
    seesNotifiers ? notifiers : '',
    h('details', { class: 'panel' }, h('summary', {}, t('alerts.history')), historyList),
  );
  const load = async () => {
    // Apart from the alerts: the channels' health failing must not hide them.
    if (seesNotifiers)
      api.alertNotifiers<NotifierHealthView>().then(
        (r) => notifiers.replaceChildren(notifierHealthPanel(r.notifiers)),
        (err) => notifiers.replaceChildren(errorBox(err)),
      );
    try {
      const [open, history] = await Promise.all([
        api.alerts<AlertView>('open'),
        api.alerts<AlertView>('history'),
      ]);
      const act = (id: number) => async (action: 'acknowledge' | 'resolve', note: string) => {
        try {
          await api.alertAction(action, [id], note);
          await load();
        } catch (err) {
          status.replaceChildren(errorBox(err));
        }
      };
      openList.replaceChildren(
        ...(open.alerts.length
          ? open.alerts.map((a) => card(a, act(a.id), a.id === marked))
          : [h('li', { class: 'muted' }, t('alerts.none'))]),
      );
      historyList.replaceChildren(...history.alerts.slice(0, 50).map((a) => card(a, act(a.id), false)));
      status.replaceChildren();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  };
  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => clearInterval(timer);
}

export const alerts = definePage({
  id: 'alerts',
  path: '/alerts',
  titleKey: 'alerts.title',
  navKey: 'nav.alerts',
  roles: ['police', 'economics', 'technician', 'leader', 'admin'],
  render: (root) => alertsPage(root),
});
