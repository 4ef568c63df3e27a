/** What is in maintenance now (who, why, until when) and what is planned next. */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { formatDateTime, t } from '../i18n.ts';
import { href } from '../router.ts';
import { definePage } from './page.ts';

const REFRESH_MS = 30_000;

function card(id: string, name: string, lines: (string | null)[]): HTMLElement {
  return h(
    'article',
    { class: 'maint-card', 'data-device-id': id },
    h('a', { href: href('device', id) }, h('strong', {}, name), ' ', h('code', {}, id)),
    lines.filter((l): l is string => l !== null).map((l) => h('div', { class: 'meta' }, l)),
  );
}

function render(root: HTMLElement): () => void {
  const now = h('section', { class: 'panel', id: 'maintenance-now' }, h('h2', {}, t('maintenance.now')));
  const next = h('section', { class: 'panel', id: 'maintenance-next' }, h('h2', {}, t('maintenance.next')));
  const main = h(
    'main',
    { class: 'page page-maintenance', id: 'main' },
    h('h1', {}, t('maintenance.title')),
    now,
    next,
  );
  root.append(main);
  let alive = true;
  const load = async () => {
    try {
      const data = await api.maintenance();
      if (!alive) return;
      now.replaceChildren(
        h('h2', {}, t('maintenance.now')),
        ...(data.now.length === 0
          ? [h('p', { class: 'empty' }, t('maintenance.noneNow'))]
          : data.now.map((d) =>
              card(d.id, d.name, [
                d.maintenance?.reason ?? null,
                d.maintenance?.untilTs
                  ? t('maintenance.until', { at: formatDateTime(d.maintenance.untilTs) })
                  : t('maintenance.noEnd'),
                t('maintenance.setBy', {
                  who: d.maintenance?.setBy ?? '–',
                  at: formatDateTime(d.maintenance?.setTs ?? d.sinceTs ?? 0),
                }),
              ]),
            )),
      );
      next.replaceChildren(
        h('h2', {}, t('maintenance.next')),
        ...(data.planned.length === 0
          ? [h('p', { class: 'empty' }, t('maintenance.noneNext'))]
          : data.planned.map((p) =>
              card(p.deviceId, p.name, [
                p.reason,
                t('maintenance.window', { from: formatDateTime(p.startTs), to: formatDateTime(p.untilTs) }),
                t('maintenance.setBy', { who: p.setBy, at: formatDateTime(p.setTs) }),
              ]),
            )),
      );
    } catch (err) {
      if (alive) main.replaceChildren(h('h1', {}, t('maintenance.title')), errorBox(err));
    }
  };
  void load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return () => {
    alive = false;
    clearInterval(timer);
  };
}

export const maintenance = definePage({
  id: 'maintenance',
  path: '/maintenance',
  titleKey: 'maintenance.title',
  navKey: 'nav.maintenance',
  roles: ['technician', 'admin', 'leader'],
  render,
});
