/**
 * The maintenance window form of the Bảo trì page (issue #14 item 2): a place (place-picker.ts),
 * when it holds (window-schedule.ts) and a note. The same form edits a window. The browser checks
 * only what it can read; the server judges the rest, and its refusal is shown beside the field it
 * names (`fields` of a 400), in the user's language.
 */
import { ApiError, api } from '../api.ts';
import { hasKey, t } from '../i18n.ts';
import type { Device, MaintenanceWindow, WindowBody } from '../types.ts';
import { h } from './dom.ts';
import { errorText } from './errors.ts';
import { placePicker } from './place-picker.ts';
import { scheduleFields } from './window-schedule.ts';

/** Which error line shows the server's complaint about a body path. */
const FIELD_OF: Record<string, string> = {
  'scope.id': 'place',
  'scope.kind': 'place',
  reason: 'reason',
  'schedule.startTs': 'from',
  'schedule.untilTs': 'to',
  'schedule.at': 'at',
  'schedule.durationMin': 'duration',
  'schedule.days': 'days',
};

export interface WindowForm {
  readonly element: HTMLElement;
  /** Fills the form with a window to change it. */
  edit(w: MaintenanceWindow): void;
}

/** Error lines by field name, plus one for the form as a whole (name ''). */
function errorLines() {
  const lines = new Map<string, HTMLElement>();
  const whole = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  return {
    whole,
    hint(what: string) {
      const el = h('div', { class: 'field-error', id: `wf-${what}-error`, role: 'alert', hidden: true });
      lines.set(what, el);
      return el;
    },
    show(what: string, message: string) {
      const el = lines.get(what) ?? whole;
      el.textContent = message;
      el.hidden = false;
    },
    clear() {
      for (const el of [...lines.values(), whole]) el.hidden = true;
    },
  };
}

export function windowForm(devices: readonly Device[], onSaved: (text: string) => void): WindowForm {
  let editing: MaintenanceWindow | null = null;
  const errors = errorLines();
  const field = (label: string, forId: string, ...body: (HTMLElement | null)[]) =>
    h('div', { class: 'field' }, h('label', { for: forId }, label), ...body);
  const place = placePicker(devices, (label, el) => field(label, el.id, el));
  const schedule = scheduleFields({ field, hint: errors.hint });
  const reason = h('textarea', { id: 'wf-reason', rows: 2, maxlength: 500 });
  const title = h('h2', {}, t('maintenance.form.new'));
  const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'wf-save' }, '');
  const cancel = h('button', { type: 'button', class: 'btn', id: 'wf-cancel' }, t('maintenance.form.cancel'));
  const form = h(
    'form',
    { class: 'window-form', id: 'window-form', novalidate: true },
    h(
      'fieldset',
      { class: 'wf-place' },
      h('legend', {}, t('maintenance.form.place')),
      place.element,
      errors.hint('place'),
    ),
    ...schedule.elements,
    field(t('maintenance.form.reason'), reason.id, reason, errors.hint('reason')),
    errors.whole,
    h('div', { class: 'maint-buttons' }, save, cancel),
  );

  /** Back to adding a new window (the place chosen stays: the next window is often nearby). */
  const reset = (w: MaintenanceWindow | null = null) => {
    editing = w;
    title.textContent = w ? t('maintenance.form.editing', { name: w.scope.name }) : t('maintenance.form.new');
    save.textContent = t(w ? 'maintenance.form.saveEdit' : 'maintenance.form.save');
    cancel.hidden = w === null;
    reason.value = w?.reason ?? '';
    schedule.set(w?.schedule);
    errors.clear();
  };

  /** The body typed, or null after showing what the browser can already tell is wrong. */
  const read = (): WindowBody | null => {
    errors.clear();
    let ok = true;
    const fail = (what: string, key: string) => {
      errors.show(what, t(key));
      ok = false;
    };
    const scope = place.scope();
    if (!scope.id) fail('place', 'maintenance.form.invalid.place');
    if (reason.value.trim().length < 3) fail('reason', 'maintenance.form.invalid.reason');
    const s = schedule.read(fail);
    return ok && s ? { scope, reason: reason.value.trim(), schedule: s } : null;
  };

  const refused = (err: unknown) => {
    const fields = err instanceof ApiError ? err.fields : undefined;
    if (!fields || Object.keys(fields).length === 0) return errors.show('', errorText(err));
    for (const [path, key] of Object.entries(fields)) {
      const what = FIELD_OF[path] ?? '';
      const own = hasKey(key) ? t(key, (err as ApiError).params) : null;
      errors.show(what, own ?? (what ? t(`maintenance.form.invalid.${what}`) : errorText(err)));
    }
  };

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = read();
    if (!body) return;
    save.disabled = true;
    const was = editing;
    const send = was ? api.editWindow({ id: was.id, ...body }) : api.createWindow(body);
    void send
      .then((res) => {
        // An edit of a window gone, changed to the file's, or no longer the user's.
        if ('result' in res && res.result !== 'edited')
          return errors.show('', t(`maintenance.result.${res.result}`));
        reset();
        onSaved(t(was ? 'maintenance.form.edited' : 'maintenance.form.created', { reason: body.reason }));
      }, refused)
      .finally(() => {
        save.disabled = false;
      });
  });
  cancel.addEventListener('click', () => reset());

  reset();
  const element = h(
    'section',
    { class: 'panel', id: 'maintenance-window-form' },
    title,
    h('p', { class: 'muted field-help' }, t('maintenance.form.help')),
    form,
  );
  return {
    element,
    edit(w) {
      reset(w);
      place.set(w.scope);
      element.scrollIntoView({ block: 'start' });
      reason.focus();
    },
  };
}
