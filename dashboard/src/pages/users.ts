/**
 * Admins: the commune's accounts (who exists comes from the commune file), with a password reset
 * (a one-time password shown once, to be changed at next sign-in) and lock / unlock.
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox, errorText } from '../components/errors.ts';
import { formatDateTime, t } from '../i18n.ts';
import { app } from '../store.ts';
import type { Account } from '../types.ts';
import { definePage } from './page.ts';

function statusOf(a: Account): HTMLElement {
  if (a.lockedTs !== null)
    return h(
      'span',
      { class: 'tag tag-locked' },
      t('users.locked', { by: a.lockedBy ?? '', at: formatDateTime(a.lockedTs) }),
    );
  if (a.mustChange) return h('span', { class: 'tag tag-pending' }, t('users.mustChange'));
  return h('span', { class: 'tag tag-ok' }, t('users.active'));
}

function render(root: HTMLElement): () => void {
  const main = h('main', { class: 'page page-users', id: 'main' }, h('h1', {}, t('users.title')));
  const notice = h('div', { id: 'users-notice' });
  const list = h('div', { class: 'cards-list' }, h('p', { class: 'muted' }, t('app.loading')));
  main.append(h('p', { class: 'muted' }, t('users.intro')), notice, list);
  root.append(main);
  let alive = true;

  const act = async (what: () => Promise<HTMLElement | null>) => {
    notice.replaceChildren();
    try {
      const shown = await what();
      if (shown) notice.append(shown);
      await load();
    } catch (err) {
      notice.append(errorBox(err));
    }
  };

  const row = (a: Account): HTMLElement => {
    const self = a.username === app.user?.username;
    const reset = h(
      'button',
      { type: 'button', class: 'btn', 'data-action': 'reset', disabled: self },
      t('users.reset'),
    );
    reset.addEventListener('click', () => {
      if (!window.confirm(t('users.resetConfirm', { name: a.name }))) return;
      void act(async () => {
        const r = await api.resetPassword(a.username);
        // Shown once: not kept anywhere in the page after the next action.
        return h(
          'div',
          { class: 'alert alert-ok one-time', role: 'status' },
          h('p', {}, t('users.resetDone', { name: a.name })),
          h('p', {}, h('code', { class: 'secret', id: 'one-time-password' }, r.password)),
          h('p', { class: 'muted' }, t('users.resetOnce')),
        );
      });
    });
    const locked = a.lockedTs !== null;
    const lock = h(
      'button',
      { type: 'button', class: 'btn', 'data-action': locked ? 'unlock' : 'lock', disabled: self },
      locked ? t('users.unlock') : t('users.lock'),
    );
    lock.addEventListener('click', () => {
      if (!window.confirm(t(locked ? 'users.unlockConfirm' : 'users.lockConfirm', { name: a.name }))) return;
      void act(async () => {
        await api.lockUser(a.username, !locked);
        return null;
      });
    });
    return h(
      'article',
      { class: 'account-card', 'data-username': a.username },
      h(
        'div',
        { class: 'account-who' },
        h('strong', {}, a.name),
        h('code', {}, a.username),
        h('span', { class: 'muted' }, t(`role.${a.role}`)),
      ),
      h(
        'div',
        { class: 'account-state' },
        statusOf(a),
        a.passwordChangedTs !== null
          ? h('span', { class: 'muted' }, t('users.changedAt', { at: formatDateTime(a.passwordChangedTs) }))
          : null,
      ),
      h('div', { class: 'account-actions' }, reset, lock),
    );
  };

  const load = async () => {
    try {
      const accounts = await api.users();
      if (alive) list.replaceChildren(...accounts.map(row));
    } catch (err) {
      if (alive) list.replaceChildren(h('p', {}, errorText(err)));
    }
  };
  void load();
  return () => {
    alive = false;
  };
}

export const users = definePage({
  id: 'users',
  path: '/users',
  titleKey: 'users.title',
  navKey: 'nav.users',
  roles: ['admin'],
  render,
});
