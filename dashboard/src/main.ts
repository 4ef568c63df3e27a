/** Canh Xã dashboard: boot, session, hash routing and the page shell. */
import './styles.css';
import { api, onUnauthenticated } from './api.ts';
import { h } from './components/dom.ts';
import { errorBox } from './components/errors.ts';
import { forcedChangePage } from './components/forced-change.ts';
import { header, liveIndicator } from './components/header.ts';
import { startRelativeTicker } from './components/time.ts';
import { initLocale, onLocaleChange, t } from './i18n.ts';
import { loginPage } from './pages/login.ts';
import { PAGES } from './pages/registry.ts';
import { parseRoute, useRoutes } from './router.ts';
import { app, loadDirectory, signOutLocally, startLive, subscribe } from './store.ts';
import type { User } from './types.ts';

useRoutes(PAGES);
const root = document.getElementById('app') as HTMLElement;
let cleanup: () => void = () => {};
let loadError: unknown = null;

async function signedIn(user: User): Promise<void> {
  app.user = user;
  loadError = null;
  // Until a generated or reset password is replaced the API opens nothing else: load nothing yet.
  if (user.mustChange) return;
  try {
    await loadDirectory();
  } catch (err) {
    loadError = err;
  }
  startLive();
}

async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch (err) {
    console.warn('logout failed; clearing the local session anyway', err);
  }
  signOutLocally();
  location.hash = '#/';
  render();
}

function render(): void {
  cleanup();
  cleanup = () => {};
  window.scrollTo(0, 0);
  const route = parseRoute(location.hash);
  const user = app.user;
  if (!user) {
    document.title = `${t('login.title')} · Canh Xã`;
    cleanup = loginPage(root, async (u) => {
      await signedIn(u);
      if (parseRoute(location.hash).page === 'login') location.hash = '#/';
      render();
    });
    return;
  }
  if (user.mustChange) {
    document.title = `${t('account.forcedTitle')} · Canh Xã`;
    cleanup = forcedChangePage(
      root,
      user,
      async (u) => {
        await signedIn(u);
        render();
      },
      () => void logout(),
    );
    return;
  }
  if (route.page === 'login') {
    location.hash = '#/';
    return;
  }
  const page = route.page === 'not-found' ? null : route.page;
  const content = h('div', { class: 'content' });
  root.replaceChildren(
    header(page?.id ?? null, () => void logout()),
    content,
  );
  document.title = `${page ? t(page.titleKey) : t('error.CX_NOT_FOUND')} · Canh Xã`;
  if (loadError) content.append(errorBox(loadError));
  if (!page)
    content.append(h('main', { class: 'page' }, h('p', { class: 'empty' }, t('error.CX_NOT_FOUND'))));
  else if (!page.roles.includes(user.role))
    content.append(h('main', { class: 'page' }, h('p', { class: 'empty' }, t('error.CX_FORBIDDEN'))));
  else cleanup = page.render(content, route.params);
}

async function boot(): Promise<void> {
  try {
    app.config = await api.publicConfig();
  } catch (err) {
    console.warn('public config unavailable; using defaults', err);
  }
  initLocale(app.config.defaultLocale);
  onLocaleChange(() => render());
  onUnauthenticated(() => {
    signOutLocally();
    render();
  });
  window.addEventListener('hashchange', () => render());
  subscribe((c) => {
    if (c.kind === 'live') document.getElementById('live-slot')?.replaceChildren(liveIndicator());
  });
  startRelativeTicker();
  try {
    const { user } = await api.me();
    await signedIn(user);
  } catch (err) {
    // 401 is the normal "not signed in yet"; anything else is worth a line in the console.
    if (!(err instanceof Error && 'status' in err && err.status === 401))
      console.warn('session check failed', err);
  }
  render();
}

void boot();
