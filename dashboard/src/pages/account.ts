/** The signed-in person's own account: who they are, and changing their password. */
import { h } from '../components/dom.ts';
import { passwordForm } from '../components/password-form.ts';
import { t } from '../i18n.ts';
import { app } from '../store.ts';
import { definePage } from './page.ts';

function render(root: HTMLElement): () => void {
  const user = app.user!;
  const done = h('div', { class: 'alert alert-ok', role: 'status', hidden: true, id: 'password-changed' });
  const form = passwordForm((_u, ended) => {
    done.textContent = ended > 0 ? t('account.changedOthers', { count: ended }) : t('account.changed');
    done.hidden = false;
  });
  root.append(
    h(
      'main',
      { class: 'page page-account', id: 'main' },
      h('h1', {}, t('account.title')),
      h(
        'section',
        { class: 'panel account-panel' },
        h('p', {}, h('strong', {}, user.name), ' · ', t(`role.${user.role}`)),
        h('p', { class: 'muted' }, t('account.username'), ' ', h('code', {}, user.username)),
        h('h2', {}, t('account.change')),
        done,
        form,
      ),
    ),
  );
  return () => {};
}

export const account = definePage({
  id: 'account',
  path: '/account',
  titleKey: 'account.title',
  roles: ['police', 'economics', 'technician', 'leader', 'admin', 'province'],
  render,
});
