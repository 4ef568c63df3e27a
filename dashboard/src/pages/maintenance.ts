/** What is in maintenance now (who, why, until when), what is planned next, and the maintenance windows. */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { formatDateTime, t } from '../i18n.ts';
import { href } from '../router.ts';
import type { MaintenanceWindow } from '../types.ts';
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

/** How a window repeats, in words: once, daily at…, weekly on … at…. */
function scheduleText(s: MaintenanceWindow['schedule']): string {
  if (s.kind === 'once') return t('maintenance.scheduleOnce');
  if (s.kind === 'daily') return t('maintenance.scheduleDaily', { at: s.at, minutes: s.durationMin });
  const days = s.days.map((d) => t(`maintenance.day.${d}`)).join(', ');
  return t('maintenance.scheduleWeekly', { days, at: s.at, minutes: s.durationMin });
}

/** One window: place, reason, how it repeats, now or next, the devices it covers, and removal. */
function windowCard(w: MaintenanceWindow, reload: () => void): HTMLElement {
  const when = w.active
    ? t('maintenance.windowActive', { at: formatDateTime(w.active.untilTs) })
    : w.next
      ? t('maintenance.windowNext', {
          from: formatDateTime(w.next.startTs),
          to: formatDateTime(w.next.untilTs),
        })
      : t('maintenance.windowOver');
  const remove = w.removable
    ? h(
        'button',
        { type: 'button', class: 'btn', 'data-action': 'remove-window' },
        t('maintenance.windowRemove'),
      )
    : null;
  remove?.addEventListener('click', () => {
    if (!window.confirm(t('maintenance.windowRemoveConfirm', { reason: w.reason }))) return;
    void api.removeWindows([w.id]).then(reload, reload);
  });
  return h(
    'article',
    { class: `maint-card${w.active ? ' maint-active' : ''}`, 'data-window-id': String(w.id) },
    h('strong', {}, w.scope.name),
    ...[
      w.reason,
      `${scheduleText(w.schedule)} · ${when}`,
      t('maintenance.windowDevices', {
        count: w.devices.length,
        names: w.devices.map((d) => d.name).join(', '),
      }),
      t('maintenance.windowBy', { who: w.createdBy }),
    ].map((l) => h('div', { class: 'meta' }, l)),
    remove,
  );
}

function render(root: HTMLElement): () => void {
  const now = h('section', { class: 'panel', id: 'maintenance-now' }, h('h2', {}, t('maintenance.now')));
  const next = h('section', { class: 'panel', id: 'maintenance-next' }, h('h2', {}, t('maintenance.next')));
  const windows = h(
    'section',
    { class: 'panel', id: 'maintenance-windows' },
    h('h2', {}, t('maintenance.windows')),
  );
  const main = h(
    'main',
    { class: 'page page-maintenance', id: 'main' },
    h('h1', {}, t('maintenance.title')),
    now,
    next,
    windows,
  );
  root.append(main);
  let alive = true;
  const load = async () => {
    try {
      const [data, list] = await Promise.all([api.maintenance(), api.maintenanceWindows()]);
      if (!alive) return;
      windows.replaceChildren(
        h('h2', {}, t('maintenance.windows')),
        ...(list.length === 0
          ? [h('p', { class: 'empty' }, t('maintenance.noWindows'))]
          : list.map((w) => windowCard(w, () => void load()))),
      );
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
                d.maintenance?.setBy?.startsWith('window:')
                  ? t('maintenance.inWindow', { at: formatDateTime(d.maintenance.untilTs ?? 0) })
                  : t('maintenance.setBy', {
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
