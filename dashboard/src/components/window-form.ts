/**
 * The maintenance window form of the Bảo trì page (issue #14 item 2): a place (hamlet → site →
 * device, from the devices the server lets this user see), one-off (dd/mm/yyyy HH:MM, Vietnam
 * time) or recurring (daily, or weekly on some days, at HH:MM for a number of minutes), and a
 * note. The same form edits a window. The browser checks only what it can read (a real date, a
 * time, a number); the server judges the rest and its refusal is shown beside the field it names.
 */
import { ApiError, api } from '../api.ts';
import { getLocale, hasKey, t } from '../i18n.ts';
import type { Device, MaintenanceWindow } from '../types.ts';
import { h } from './dom.ts';
import { errorText } from './errors.ts';
import { clockText, parseClock, parseVnDateTime, vnDateText, vnTimeText } from './vn-clock.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Kind = MaintenanceWindow['schedule']['kind'];
type Body = Parameters<typeof api.createWindow>[0];

/** Which input shows the server's complaint about a body path. */
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

const option = (value: string, label: string) => h('option', { value }, label);

/** Distinct [id, name] pairs in first-seen order. */
function places(devices: readonly Device[], id: (d: Device) => string, name: (d: Device) => string) {
  return [...new Map(devices.map((d) => [id(d), name(d)])).entries()];
}

export function windowForm(devices: readonly Device[], onSaved: (text: string) => void): WindowForm {
  let editing: MaintenanceWindow | null = null;
  const title = h('h2', {}, t('maintenance.form.new'));
  const hamlet = h('select', { id: 'wf-hamlet', name: 'hamlet' });
  const site = h('select', { id: 'wf-site', name: 'site' });
  const device = h('select', { id: 'wf-device', name: 'device' });
  hamlet.append(
    ...places(
      devices,
      (d) => d.hamletId,
      (d) => d.hamletName,
    ).map(([id, name]) => option(id, name)),
  );
  const fillSites = () => {
    const inHamlet = devices.filter((d) => d.hamletId === hamlet.value);
    site.replaceChildren(
      option('', t('maintenance.form.wholeHamlet')),
      ...places(
        inHamlet,
        (d) => d.siteId,
        (d) => d.siteName,
      ).map(([id, name]) => option(id, name)),
    );
  };
  const fillDevices = () => {
    const inSite = devices.filter((d) => d.siteId === site.value);
    device.replaceChildren(
      option('', t('maintenance.form.wholeSite')),
      ...inSite.map((d) => option(d.id, `${d.name} (${d.typeLabel[getLocale()]})`)),
    );
    device.disabled = site.value === '';
  };
  hamlet.addEventListener('change', () => {
    fillSites();
    fillDevices();
  });
  site.addEventListener('change', fillDevices);
  fillSites();
  fillDevices();

  const text = (id: string, attrs: Record<string, string> = {}) =>
    h('input', { id, type: 'text', autocomplete: 'off', ...attrs }) as HTMLInputElement;
  const kinds = ['once', 'daily', 'weekly'] as const;
  const kindInputs = kinds.map(
    (k) => h('input', { type: 'radio', name: 'wf-kind', value: k, id: `wf-kind-${k}` }) as HTMLInputElement,
  );
  const fromDate = text('wf-from-date', { inputmode: 'numeric', placeholder: 'dd/mm/yyyy' });
  const fromTime = text('wf-from-time', { inputmode: 'numeric', placeholder: 'HH:MM' });
  const toDate = text('wf-to-date', { inputmode: 'numeric', placeholder: 'dd/mm/yyyy' });
  const toTime = text('wf-to-time', { inputmode: 'numeric', placeholder: 'HH:MM' });
  const at = text('wf-at', { inputmode: 'numeric', placeholder: 'HH:MM' });
  const duration = text('wf-duration', { inputmode: 'numeric' });
  const dayBoxes = DAYS.map(
    (d) => h('input', { type: 'checkbox', name: 'wf-day', value: d, id: `wf-day-${d}` }) as HTMLInputElement,
  );
  const reason = h('textarea', { id: 'wf-reason', rows: 2, maxlength: 500 });

  const errors = new Map<string, HTMLElement>();
  const hint = (what: string) => {
    const el = h('div', { class: 'field-error', id: `wf-${what}-error`, role: 'alert', hidden: true });
    errors.set(what, el);
    return el;
  };
  const field = (label: string, forId: string, ...body: (HTMLElement | null)[]) =>
    h('div', { class: 'field' }, h('label', { for: forId }, label), ...body);
  const pair = (...els: HTMLElement[]) => h('div', { class: 'wf-pair' }, ...els);

  const once = h(
    'div',
    { class: 'wf-group', id: 'wf-once' },
    field(t('maintenance.form.from'), fromDate.id, pair(fromDate, fromTime), hint('from')),
    field(t('maintenance.form.to'), toDate.id, pair(toDate, toTime), hint('to')),
  );
  const days = h(
    'fieldset',
    { class: 'field wf-days', id: 'wf-days' },
    h('legend', {}, t('maintenance.form.days')),
    h(
      'div',
      { class: 'wf-choices' },
      DAYS.map((d, i) => h('label', { class: 'chip' }, dayBoxes[i]!, ` ${t(`maintenance.day.${d}`)}`)),
    ),
    hint('days'),
  );
  const recurring = h(
    'div',
    { class: 'wf-group', id: 'wf-recurring' },
    days,
    h(
      'div',
      { class: 'wf-pair' },
      field(t('maintenance.form.at'), at.id, at, hint('at')),
      field(t('maintenance.form.duration'), duration.id, duration, hint('duration')),
    ),
    h('p', { class: 'muted field-help' }, t('maintenance.form.recurringHelp')),
  );
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const save = h(
    'button',
    { type: 'submit', class: 'btn btn-primary', id: 'wf-save' },
    t('maintenance.form.save'),
  );
  const cancel = h(
    'button',
    { type: 'button', class: 'btn', id: 'wf-cancel', hidden: true },
    t('maintenance.form.cancel'),
  );

  const form = h(
    'form',
    { class: 'window-form', id: 'window-form', novalidate: true },
    h(
      'fieldset',
      { class: 'wf-place' },
      h('legend', {}, t('maintenance.form.place')),
      h(
        'div',
        { class: 'wf-row' },
        field(t('maintenance.form.hamlet'), hamlet.id, hamlet),
        field(t('maintenance.form.site'), site.id, site),
        field(t('maintenance.form.device'), device.id, device),
      ),
      hint('place'),
    ),
    h(
      'fieldset',
      { class: 'field' },
      h('legend', {}, t('maintenance.form.kind')),
      h(
        'div',
        { class: 'wf-choices' },
        kinds.map((k, i) =>
          h('label', { class: 'chip' }, kindInputs[i]!, ` ${t(`maintenance.form.kind.${k}`)}`),
        ),
      ),
    ),
    once,
    recurring,
    field(t('maintenance.form.reason'), reason.id, reason, hint('reason')),
    error,
    h('div', { class: 'maint-buttons' }, save, cancel),
  );

  const kind = (): Kind => (kindInputs.find((i) => i.checked)?.value ?? 'once') as Kind;
  const showKind = () => {
    once.hidden = kind() !== 'once';
    recurring.hidden = kind() === 'once';
    days.hidden = kind() !== 'weekly';
  };
  for (const i of kindInputs) i.addEventListener('change', showKind);

  const show = (what: string, message: string) => {
    const el = errors.get(what) ?? error;
    el.textContent = message;
    el.hidden = false;
  };
  const clearErrors = () => {
    for (const el of [...errors.values(), error]) el.hidden = true;
  };

  /** Empties the form to add a new window: from the next full hour, for two hours; recurring at 22:00 for 4 h. */
  const reset = () => {
    editing = null;
    title.textContent = t('maintenance.form.new');
    save.textContent = t('maintenance.form.save');
    cancel.hidden = true;
    const start = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
    fromDate.value = vnDateText(start);
    fromTime.value = vnTimeText(start);
    toDate.value = vnDateText(start + 2 * 3_600_000);
    toTime.value = vnTimeText(start + 2 * 3_600_000);
    at.value = '22:00';
    duration.value = '240';
    for (const b of dayBoxes) b.checked = false;
    kindInputs[0]!.checked = true;
    reason.value = '';
    clearErrors();
    showKind();
  };

  /** The body typed, or null after showing what the browser can already tell is wrong. */
  const read = (): Body | null => {
    clearErrors();
    const k = kind();
    const scope = device.value
      ? { kind: 'device' as const, id: device.value }
      : site.value
        ? { kind: 'site' as const, id: site.value }
        : { kind: 'hamlet' as const, id: hamlet.value };
    let ok = true;
    const fail = (what: string, key: string) => {
      show(what, t(key));
      ok = false;
    };
    if (!scope.id) fail('place', 'maintenance.form.invalid.place');
    if (reason.value.trim().length < 3) fail('reason', 'maintenance.form.invalid.reason');
    if (k === 'once') {
      const startTs = parseVnDateTime(fromDate.value, fromTime.value);
      const untilTs = parseVnDateTime(toDate.value, toTime.value);
      if (startTs === null) fail('from', 'maintenance.form.invalid.from');
      if (untilTs === null) fail('to', 'maintenance.form.invalid.to');
      else if (startTs !== null && untilTs <= startTs) fail('to', 'maintenance.form.invalid.order');
      if (!ok) return null;
      return {
        scope,
        reason: reason.value.trim(),
        schedule: { kind: 'once', startTs: startTs!, untilTs: untilTs! },
      };
    }
    const minutes = parseClock(at.value);
    const durationMin = Number(duration.value.trim());
    if (minutes === null) fail('at', 'maintenance.form.invalid.at');
    if (!Number.isInteger(durationMin) || durationMin < 1)
      fail('duration', 'maintenance.form.invalid.duration');
    const chosen = DAYS.filter((_, i) => dayBoxes[i]!.checked);
    if (k === 'weekly' && chosen.length === 0) fail('days', 'maintenance.form.invalid.days');
    if (!ok) return null;
    const base = { at: clockText(minutes!), durationMin };
    return {
      scope,
      reason: reason.value.trim(),
      schedule: k === 'daily' ? { kind: 'daily', ...base } : { kind: 'weekly', days: [...chosen], ...base },
    };
  };

  /** The server's refusal beside the field it names, in the user's language. */
  const refused = (err: unknown) => {
    const fields = err instanceof ApiError ? err.fields : undefined;
    if (!fields || Object.keys(fields).length === 0) return show('', errorText(err));
    for (const [path, key] of Object.entries(fields)) {
      const what = FIELD_OF[path];
      const own = hasKey(key) ? t(key, (err as ApiError).params) : null;
      if (what) show(what, own ?? t(`maintenance.form.invalid.${what}`));
      else show('', own ?? errorText(err));
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
        if ('result' in res && res.result !== 'edited')
          return show('', t(`maintenance.result.${res.result}`));
        reset();
        onSaved(t(was ? 'maintenance.form.edited' : 'maintenance.form.created', { reason: body.reason }));
      }, refused)
      .finally(() => {
        save.disabled = false;
      });
  });
  cancel.addEventListener('click', reset);

  const edit = (w: MaintenanceWindow) => {
    reset();
    editing = w;
    title.textContent = t('maintenance.form.editing', { name: w.scope.name });
    save.textContent = t('maintenance.form.saveEdit');
    cancel.hidden = false;
    const d = devices.find((x) =>
      w.scope.kind === 'device'
        ? x.id === w.scope.id
        : w.scope.kind === 'site'
          ? x.siteId === w.scope.id
          : x.hamletId === w.scope.id,
    );
    if (d) {
      hamlet.value = d.hamletId;
      fillSites();
      site.value = w.scope.kind === 'hamlet' ? '' : d.siteId;
      fillDevices();
      device.value = w.scope.kind === 'device' ? d.id : '';
    }
    const s = w.schedule;
    kindInputs.find((i) => i.value === s.kind)!.checked = true;
    if (s.kind === 'once') {
      fromDate.value = vnDateText(s.startTs);
      fromTime.value = vnTimeText(s.startTs);
      toDate.value = vnDateText(s.untilTs);
      toTime.value = vnTimeText(s.untilTs);
    } else {
      at.value = s.at;
      duration.value = String(s.durationMin);
      if (s.kind === 'weekly') for (const b of dayBoxes) b.checked = s.days.includes(b.value);
    }
    reason.value = w.reason;
    showKind();
    form.closest('section')?.scrollIntoView({ block: 'start' });
    reason.focus();
  };

  reset();
  const element = h(
    'section',
    { class: 'panel', id: 'maintenance-window-form' },
    title,
    h('p', { class: 'muted field-help' }, t('maintenance.form.help')),
    form,
  );
  return { element, edit };
}
