/**
 * The economics office edits a plot's moisture bounds (issue #13): too dry below, too wet above
 * (empty: none), or back to the commune file's. The server judges; its refusal is shown beside the
 * field it names. On success the page reloads, so the plot's mark follows the new bounds.
 */
import { ApiError, api } from '../api.ts';
import { formatDateTime, formatNumber, hasKey, t } from '../i18n.ts';
import { h } from './dom.ts';
import { errorText } from './errors.ts';

export interface ThresholdPlot {
  readonly siteId: string;
  readonly name: string;
  readonly dryBelowPct: number | null;
  readonly wetAbovePct: number | null;
  readonly fileBounds: { readonly dryBelowPct: number; readonly wetAbovePct: number | null } | null;
  readonly thresholdsSetBy: { readonly username: string; readonly ts: number } | null;
}

/** A number as typed, with a decimal comma or point; null when empty, NaN when not a number. */
function parsePct(text: string): number | null {
  const v = text.trim().replace(',', '.');
  return v === '' ? null : Number(v);
}

function boundsOf(b: ThresholdPlot['fileBounds']): string {
  if (!b) return t('farms.noBounds');
  const dry = formatNumber(b.dryBelowPct, 1);
  return b.wetAbovePct === null
    ? t('farms.boundsDry', { dry })
    : t('farms.bounds', { dry, wet: formatNumber(b.wetAbovePct, 1) });
}

/** Who set the bounds in use, beside the file's; null when they are the file's. */
export function thresholdsNote(p: ThresholdPlot): HTMLElement | null {
  if (!p.thresholdsSetBy) return null;
  return h(
    'p',
    { class: 'meta plot-thresholds-note' },
    t('farms.thresholds.setBy', {
      user: p.thresholdsSetBy.username,
      at: formatDateTime(p.thresholdsSetBy.ts),
      file: boundsOf(p.fileBounds),
    }),
  );
}

export function thresholdsEditor(p: ThresholdPlot, onSaved: () => void): HTMLElement {
  const id = (what: string) => `thr-${p.siteId}-${what}`;
  const field = (what: 'dry' | 'wet', value: number | null) =>
    h('input', {
      id: id(what),
      name: what === 'dry' ? 'dryBelowPct' : 'wetAbovePct',
      type: 'text',
      inputmode: 'decimal',
      autocomplete: 'off',
      value: value === null ? '' : formatNumber(value, 1),
    }) as HTMLInputElement;
  const dry = field('dry', p.dryBelowPct);
  const wet = field('wet', p.wetAbovePct);
  const hint = (what: string) =>
    h('div', { class: 'field-error', id: id(`${what}-error`), role: 'alert', hidden: true });
  const dryError = hint('dry');
  const wetError = hint('wet');
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: true });
  const show = (el: HTMLElement, text: string) => {
    el.textContent = text;
    el.hidden = false;
  };
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t('farms.thresholds.save'));
  const fromFile = h('button', { type: 'button', class: 'btn' }, t('farms.thresholds.fromFile'));
  const send = async (body: Parameters<typeof api.setSoilThresholds>[1]) => {
    for (const el of [dryError, wetError, error]) el.hidden = true;
    save.disabled = fromFile.disabled = true;
    try {
      await api.setSoilThresholds(p.siteId, body);
      onSaved();
    } catch (err) {
      const fields = err instanceof ApiError ? err.fields : undefined;
      const text = (key: string) =>
        hasKey(key) ? t(key, (err as ApiError).params) : t('farms.thresholds.number');
      if (fields?.dryBelowPct) show(dryError, text(fields.dryBelowPct));
      else if (fields?.wetAbovePct) show(wetError, text(fields.wetAbovePct));
      else show(error, errorText(err));
    } finally {
      save.disabled = fromFile.disabled = false;
    }
  };
  const form = h(
    'form',
    { class: 'plot-thresholds-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: dry.id }, t('farms.thresholds.dry')), dry, dryError),
    h(
      'div',
      { class: 'field' },
      h('label', { for: wet.id }, t('farms.thresholds.wet')),
      wet,
      h('p', { class: 'muted field-help' }, t('farms.thresholds.wetHint')),
      wetError,
    ),
    error,
    h('div', { class: 'plot-thresholds-actions' }, save, p.thresholdsSetBy ? fromFile : null),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = parsePct(dry.value);
    const w = parsePct(wet.value);
    // Only what the browser can tell (a number typed); the bounds' rules are the server's.
    if (d === null || Number.isNaN(d)) return show(dryError, t('validation.soilDryRequired'));
    if (w !== null && Number.isNaN(w)) return show(wetError, t('farms.thresholds.number'));
    void send({ dryBelowPct: d, wetAbovePct: w });
  });
  fromFile.addEventListener('click', () => void send({ fromFile: true }));
  return h(
    'details',
    { class: 'plot-thresholds', 'data-site-id': p.siteId },
    h('summary', {}, t('farms.thresholds.edit')),
    form,
  );
}
