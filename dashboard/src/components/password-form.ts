/**
 * The change-password form: the account page and the forced change at first sign-in both use it.
 * The rule is the server's (10 characters, zxcvbn score 3); its refusal is shown beside the field.
 */
import { ApiError, api } from '../api.ts';
import { t } from '../i18n.ts';
import type { User } from '../types.ts';
import { h } from './dom.ts';
import { errorText } from './errors.ts';

export function passwordForm(onChanged: (user: User, sessionsEnded: number) => void): HTMLFormElement {
  const input = (id: string, autocomplete: string) =>
    h('input', { id, name: id, type: 'password', autocomplete, required: true, maxlength: 256 });
  const current = input('current-password', 'current-password');
  const next = input('new-password', 'new-password');
  const again = input('new-password-again', 'new-password');
  const hint = (id: string) => h('div', { class: 'field-error', id, role: 'alert', hidden: true });
  const currentError = hint('current-password-error');
  const nextError = hint('new-password-error');
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: true, id: 'password-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('account.submit'));
  const show = (el: HTMLElement, text: string) => {
    el.textContent = text;
    el.hidden = false;
  };
  const form = h(
    'form',
    { class: 'password-form', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: current.id }, t('account.current')),
      current,
      currentError,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: next.id }, t('account.new')),
      next,
      h('p', { class: 'muted field-help' }, t('account.rule')),
      nextError,
    ),
    h('div', { class: 'field' }, h('label', { for: again.id }, t('account.again')), again),
    error,
    submit,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of [currentError, nextError, error]) el.hidden = true;
    if (!current.value || !next.value) return show(error, t('account.missing'));
    if (next.value !== again.value) return show(nextError, t('account.mismatch'));
    submit.disabled = true;
    try {
      const res = await api.changePassword(current.value, next.value);
      form.reset();
      onChanged(res.user, res.sessionsEnded);
    } catch (err) {
      const field = err instanceof ApiError ? err.fields : undefined;
      if (field?.newPassword) show(nextError, t(field.newPassword));
      else if (field?.currentPassword) show(currentError, errorText(err));
      else show(error, errorText(err));
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
