/**
 * First sign-in with a generated password, or the next one after an admin's reset: the only thing
 * the API allows is choosing a new password, so this is the only page shown until then.
 */

import { t } from '../i18n.ts';
import type { User } from '../types.ts';
import { h } from './dom.ts';
import { icon } from './icons.ts';
import { langSwitch } from './lang-switch.ts';
import { passwordForm } from './password-form.ts';

export function forcedChangePage(
  root: HTMLElement,
  user: User,
  onChanged: (u: User) => void,
  onLogout: () => void,
): () => void {
  root.replaceChildren(
    h(
      'div',
      { class: 'login-wrap' },
      h(
        'main',
        { class: 'login-card', id: 'forced-change' },
        h('div', { class: 'login-lang' }, langSwitch()),
        h('div', { class: 'login-brand' }, icon('shield'), h('span', {}, 'Canh Xã')),
        h('h1', {}, t('account.forcedTitle')),
        h('p', { class: 'muted' }, t('account.forcedIntro', { name: user.name })),
        passwordForm((u) => onChanged(u)),
        h('button', { type: 'button', class: 'btn btn-link', onclick: onLogout }, t('auth.logout')),
      ),
    ),
  );
  document.getElementById('current-password')?.focus();
  return () => {};
}
