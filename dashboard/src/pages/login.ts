/** Sign-in form. Errors come from the API `code` (CX_BAD_LOGIN, CX_TOO_MANY_LOGINS {minutes}). */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorText } from '../components/errors.ts';
import { icon } from '../components/icons.ts';
import { langSwitch } from '../components/lang-switch.ts';
import { t } from '../i18n.ts';
import type { User } from '../types.ts';

export function loginPage(root: HTMLElement, onSignedIn: (u: User) => void): () => void {
  const error = h('div', { class: 'alert alert-error', role: 'alert', hidden: true, id: 'login-error' });
  const username = h('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    autocapitalize: 'none',
    spellcheck: 'false',
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));

  const form = h(
    'form',
    { class: 'login-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'username' }, t('login.username')), username),
    h('div', { class: 'field' }, h('label', { for: 'password' }, t('login.password')), password),
    error,
    submit,
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!username.value.trim() || !password.value) {
      error.textContent = t('login.missing');
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    error.hidden = true;
    try {
      const { user } = await api.login(username.value.trim(), password.value);
      onSignedIn(user);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
      password.select();
    } finally {
      submit.disabled = false;
    }
  });

  root.replaceChildren(
    h(
      'div',
      { class: 'login-wrap' },
      h(
        'main',
        { class: 'login-card' },
        h('div', { class: 'login-lang' }, langSwitch()),
        h('div', { class: 'login-brand' }, icon('shield'), h('span', {}, 'Canh Xã')),
        h('h1', {}, t('login.title')),
        h('p', { class: 'muted' }, t('login.subtitle')),
        form,
      ),
      h('p', { class: 'login-foot muted' }, t('login.footer')),
    ),
  );
  username.focus();
  return () => {};
}
