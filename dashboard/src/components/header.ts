/** Top bar: brand and commune, the role's navigation, live-stream status, user, language, sign out. */
import { t } from '../i18n.ts';
import { navPages } from '../pages/registry.ts';
import { href } from '../router.ts';
import { app } from '../store.ts';
import { h } from './dom.ts';
import { icon } from './icons.ts';
import { langSwitch } from './lang-switch.ts';

export function liveIndicator(): HTMLElement {
  const s = app.live;
  const label = s === 'live' ? t('live.on') : s === 'lost' ? t('live.lost') : t('live.connecting');
  return h(
    'span',
    { class: `live live-${s}`, role: 'status', title: label },
    icon('live'),
    h('span', { class: 'live-text' }, label),
  );
}

export function header(active: string | null, onLogout: () => void): HTMLElement {
  const user = app.user;
  const commune = app.communes.find((c) => c.id === user?.communeId) ?? app.communes[0];
  const nav = user
    ? h(
        'nav',
        { class: 'nav', 'aria-label': t('nav.label') },
        navPages(user.role).map((p) =>
          h(
            'a',
            {
              href: href(p.id),
              class: p.id === active ? 'active' : '',
              'aria-current': p.id === active ? 'page' : null,
              'data-nav': p.id,
            },
            t(p.navKey ?? p.titleKey),
          ),
        ),
      )
    : null;
  return h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'topbar-inner' },
      h(
        'a',
        { class: 'brand', href: '#/' },
        icon('shield'),
        h('span', { class: 'brand-name' }, 'Canh Xã'),
        commune
          ? h(
              'span',
              { class: 'brand-sub' },
              app.communes.length > 1
                ? t('overview.provinceName', { province: commune.province })
                : commune.name,
            )
          : null,
      ),
      nav,
      h(
        'div',
        { class: 'topbar-tools' },
        user ? h('span', { id: 'live-slot' }, liveIndicator()) : null,
        user
          ? h(
              'a',
              { class: 'user', title: user.username, href: '#/account', 'data-nav': 'account' },
              h('span', { class: 'user-name' }, user.name),
              h('span', { class: 'user-role' }, t(`role.${user.role}`)),
            )
          : null,
        langSwitch(),
        // On a phone the name is hidden: the account page is this icon.
        user
          ? h(
              'a',
              {
                class: 'btn-icon account-link',
                href: '#/account',
                title: t('account.title'),
                'aria-label': t('account.title'),
              },
              icon('account'),
            )
          : null,
        user
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn-icon',
                title: t('auth.logout'),
                'aria-label': t('auth.logout'),
                onclick: onLogout,
              },
              icon('logout'),
            )
          : null,
      ),
    ),
  );
}
