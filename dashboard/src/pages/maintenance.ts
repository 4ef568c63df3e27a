/** What is in maintenance now (who, why, until when), what is planned next, and the maintenance windows. */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { type WindowForm, windowForm } from '../components/window-form.ts';
import { formatDateTime, t } from '../i18n.ts';
import { href } from '../router.ts';
import { app } from '../store.ts';
import type { MaintenanceWindow } from '../types.ts';
import { definePage } from './page.ts';

/** Who may add windows (POST /api/maintenance/windows): each for the devices their role sees. */
const WINDOW_ROLES: readonly string[] = ['technician', 'admin', 'police', 'economics'];

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

/** A button of a window's card that asks first, then calls the API and reloads. */
function action(name: string, label: string, ask: string, run: () => Promise<unknown>, reload: () => void) {
  const b = h('button', { type: 'button', class: 'btn', 'data-action': name }, label);
  b.addEventListener('click', () => {
    if (!window.confirm(ask)) return;
    b.disabled = true;
    void run().then(reload, reload);
  });
  return b;
}

/** One window: place, reason, how it repeats, now or next, the devices it covers, and its buttons. */
function windowCard(w: MaintenanceWindow, reload: () => void, edit: ((w: MaintenanceWindow) => void) | null) {
  const when = w.active
    ? t('maintenance.windowActive', { at: formatDateTime(w.active.untilTs) })
    : w.next
      ? t('maintenance.windowNext', {
          from: formatDateTime(w.next.startTs),
          to: formatDateTime(w.next.untilTs),
        })
      : t('maintenance.windowOver');
  const once =
    w.schedule.kind === 'once'
      ? ` ${t('maintenance.window', { from: formatDateTime(w.schedule.startTs), to: formatDateTime(w.schedule.untilTs) })}`
      : '';
  const editButton =
    edit && w.editable
      ? h(
          'button',
          { type: 'button', class: 'btn', 'data-action': 'edit-window' },
          t('maintenance.windowEdit'),
        )
      : null;
  editButton?.addEventListener('click', () => edit!(w));
  const buttons = [
    editButton,
    w.endable
      ? action(
          'end-window',
          t('maintenance.windowEnd'),
          t('maintenance.windowEndConfirm', { reason: w.reason }),
          () => api.endWindows([w.id]),
          reload,
        )
      : null,
    w.removable
      ? action(
          'remove-window',
          t('maintenance.windowRemove'),
          t('maintenance.windowRemoveConfirm', { reason: w.reason }),
          () => api.removeWindows([w.id]),
          reload,
        )
      : null,
  ].filter((b) => b !== null);
  return h(
    'article',
    { class: `maint-card${w.active ? ' maint-active' : ''}`, 'data-window-id': String(w.id) },
    h(
      'strong',
      {},
      w.scope.name,
      w.fromConfig ? h('span', { class: 'tag tag-pending' }, t('maintenance.fromFile')) : null,
    ),
    ...[
      w.reason,
      `${scheduleText(w.schedule)}${once} · ${when}`,
      t('maintenance.windowDevices', {
        count: w.devices.length,
        names: w.devices.map((d) => d.name).join(', '),
      }),
      w.fromConfig ? t('maintenance.fromFileHelp') : t('maintenance.windowBy', { who: w.createdBy }),
    ].map((l) => h('div', { class: 'meta' }, l)),
    buttons.length > 0 ? h('div', { class: 'maint-buttons' }, buttons) : null,
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
  let form: WindowForm | null = null;
  const saved = h('div', { class: 'alert alert-ok', role: 'status', id: 'window-saved', hidden: true });
  // From the devices this user sees, which the store keeps live; leaders only read.
  if (app.user && WINDOW_ROLES.includes(app.user.role)) {
    form = windowForm([...app.devices.values()], (text) => {
      saved.textContent = text;
      saved.hidden = false;
      void load();
    });
    windows.before(form.element);
  }
  const load = async () => {
    try {
      const [data, list] = await Promise.all([api.maintenance(), api.maintenanceWindows()]);
      if (!alive) return;
      const edit = form
        ? (w: MaintenanceWindow) => {
            saved.hidden = true;
            form!.edit(w);
          }
        : null;
      windows.replaceChildren(
        h('h2', {}, t('maintenance.windows')),
        saved,
        ...(list.length === 0
          ? [h('p', { class: 'empty' }, t('maintenance.noWindows'))]
          : list.map((w) => windowCard(w, () => void load(), edit))),
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
  roles: ['technician', 'admin', 'leader', 'police', 'economics'],
  render,
});
