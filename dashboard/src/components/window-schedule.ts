/**
 * When a maintenance window holds, as the form asks it: once (dd/mm/yyyy HH:MM to dd/mm/yyyy
 * HH:MM, Vietnam time) or daily / weekly (days) at HH:MM for a number of minutes. Reads only what
 * the browser can tell (a real date, a 24-hour time, a whole number); the limits are the server's.
 */
import { t } from '../i18n.ts';
import type { WindowBody } from '../types.ts';
import { h } from './dom.ts';
import { clockText, parseClock, parseVnDateTime, vnDateText, vnTimeText } from './vn-clock.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const KINDS = ['once', 'daily', 'weekly'] as const;
const HOUR_MS = 3_600_000;
type Schedule = WindowBody['schedule'];

/** What the schedule fields need from their form: a labelled field, and an error line by name. */
export interface FieldKit {
  field(label: string, forId: string, ...body: (HTMLElement | null)[]): HTMLElement;
  hint(what: string): HTMLElement;
}

export interface ScheduleFields {
  readonly elements: HTMLElement[];
  /** The schedule typed, or null after `fail(field, i18n key)` for each problem seen. */
  read(fail: (what: string, key: string) => void): Schedule | null;
  /** Shows a schedule (a window being edited), or the defaults for a new window when undefined. */
  set(s: Schedule | undefined): void;
}

const text = (id: string, placeholder?: string) =>
  h('input', {
    id,
    type: 'text',
    autocomplete: 'off',
    inputmode: 'numeric',
    placeholder,
  }) as HTMLInputElement;
const choice = (type: 'radio' | 'checkbox', name: string, value: string) =>
  h('input', { type, name, value, id: `${name}-${value}` }) as HTMLInputElement;

export function scheduleFields(kit: FieldKit): ScheduleFields {
  const kinds = KINDS.map((k) => choice('radio', 'wf-kind', k));
  const [fromDate, fromTime, toDate, toTime] = ['from-date', 'from-time', 'to-date', 'to-time'].map((id) =>
    text(`wf-${id}`, id.endsWith('date') ? 'dd/mm/yyyy' : 'HH:MM'),
  ) as [HTMLInputElement, HTMLInputElement, HTMLInputElement, HTMLInputElement];
  const at = text('wf-at', 'HH:MM');
  const duration = text('wf-duration');
  const dayBoxes = DAYS.map((d) => choice('checkbox', 'wf-day', d));
  const pair = (...els: HTMLElement[]) => h('div', { class: 'wf-pair' }, ...els);
  const chips = (inputs: HTMLInputElement[], label: (v: string) => string) =>
    h(
      'div',
      { class: 'wf-choices' },
      inputs.map((i) => h('label', { class: 'chip' }, i, ` ${label(i.value)}`)),
    );

  const once = h(
    'div',
    { class: 'wf-group', id: 'wf-once' },
    kit.field(t('maintenance.form.from'), fromDate.id, pair(fromDate, fromTime), kit.hint('from')),
    kit.field(t('maintenance.form.to'), toDate.id, pair(toDate, toTime), kit.hint('to')),
  );
  const days = h(
    'fieldset',
    { class: 'field wf-days', id: 'wf-days' },
    h('legend', {}, t('maintenance.form.days')),
    chips(dayBoxes, (d) => t(`maintenance.day.${d}`)),
    kit.hint('days'),
  );
  const recurring = h(
    'div',
    { class: 'wf-group', id: 'wf-recurring' },
    days,
    pair(
      kit.field(t('maintenance.form.at'), at.id, at, kit.hint('at')),
      kit.field(t('maintenance.form.duration'), duration.id, duration, kit.hint('duration')),
    ),
    h('p', { class: 'muted field-help' }, t('maintenance.form.recurringHelp')),
  );
  const kind = () => (kinds.find((i) => i.checked)?.value ?? 'once') as Schedule['kind'];
  const showKind = () => {
    once.hidden = kind() !== 'once';
    recurring.hidden = kind() === 'once';
    days.hidden = kind() !== 'weekly';
  };
  for (const i of kinds) i.addEventListener('change', showKind);

  const readOnce = (fail: (what: string, key: string) => void): Schedule | null => {
    const startTs = parseVnDateTime(fromDate.value, fromTime.value);
    const untilTs = parseVnDateTime(toDate.value, toTime.value);
    if (startTs === null) fail('from', 'maintenance.form.invalid.from');
    if (untilTs === null) fail('to', 'maintenance.form.invalid.to');
    else if (startTs !== null && untilTs <= startTs) fail('to', 'maintenance.form.invalid.order');
    return startTs === null || untilTs === null || untilTs <= startTs
      ? null
      : { kind: 'once', startTs, untilTs };
  };

  return {
    elements: [
      h(
        'fieldset',
        { class: 'field' },
        h('legend', {}, t('maintenance.form.kind')),
        chips(kinds, (k) => t(`maintenance.form.kind.${k}`)),
      ),
      once,
      recurring,
    ],
    read(fail) {
      const k = kind();
      if (k === 'once') return readOnce(fail);
      const minutes = parseClock(at.value);
      const durationMin = Number(duration.value.trim());
      const chosen = DAYS.filter((_, i) => dayBoxes[i]!.checked);
      if (minutes === null) fail('at', 'maintenance.form.invalid.at');
      const badDuration = !Number.isInteger(durationMin) || durationMin < 1;
      if (badDuration) fail('duration', 'maintenance.form.invalid.duration');
      if (k === 'weekly' && chosen.length === 0) fail('days', 'maintenance.form.invalid.days');
      if (minutes === null || badDuration || (k === 'weekly' && chosen.length === 0)) return null;
      const base = { at: clockText(minutes), durationMin };
      return k === 'daily' ? { kind: 'daily', ...base } : { kind: 'weekly', days: [...chosen], ...base };
    },
    set(s) {
      // A new window: from the next full hour for two hours; recurring at 22:00 for 4 h.
      const start = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
      const span = s?.kind === 'once' ? s : { startTs: start, untilTs: start + 2 * HOUR_MS };
      fromDate.value = vnDateText(span.startTs);
      fromTime.value = vnTimeText(span.startTs);
      toDate.value = vnDateText(span.untilTs);
      toTime.value = vnTimeText(span.untilTs);
      const repeat = s && s.kind !== 'once' ? s : { at: '22:00', durationMin: 240 };
      at.value = repeat.at;
      duration.value = String(repeat.durationMin);
      for (const b of dayBoxes) b.checked = s?.kind === 'weekly' && s.days.includes(b.value);
      for (const i of kinds) i.checked = i.value === (s?.kind ?? 'once');
      showKind();
    },
  };
}
