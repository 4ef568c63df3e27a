/** Canh Xã dashboard: boot, session, hash routing and the page shell. */
import './styles.css';
import { api, onUnauthenticated } from './api.ts';
import { h } from './components/dom.ts';
import { errorBox } from './components/errors.ts';
import { header, liveIndicator } from './components/header.ts';
import { startRelativeTicker } from './components/time.ts';
import { initLocale, onLocaleChange, t } from './i18n.ts';
import { devicePage } from './pages/device.ts';
import { ingestPage } from './pages/ingest.ts';
import { loginPage } from './pages/login.ts';
import { mapPage } from './pages/map.ts';
import { overviewPage } from './pages/overview.ts';
import { canOpen, type PageId } from './roles.ts';
import { parseRoute } from './router.ts';
import { app, loadDirectory, signOutLocally, startLive, subscribe } from './store.ts';
import type { User } from './types.ts';

const root = document.getElementById('app') as HTMLElement;
let cleanup: () => void = () => {};
let loadError: unknown = null;

async function signedIn(user: User): Promise<void> {
  app.user = user;
  loadError = null;
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

const TITLES: Record<PageId, () => string> = {
  overview: () => t('overview.title'),
  map: () => t('map.title'),
  ingest: () => t('ingest.title'),
  device: () => t('nav.devices'),
};

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
  if (route.page === 'login') {
    location.hash = '#/';
    return;
  }
  const page = route.page === 'not-found' ? null : route.page;
  const content = h('div', { class: 'content' });
  root.replaceChildren(
    header(page, () => void logout()),
    content,
  );
  document.title = `${page ? TITLES[page]() : t('error.CX_NOT_FOUND')} · Canh Xã`;
  if (loadError) content.append(errorBox(loadError));
  if (!page)
    content.append(h('main', { class: 'page' }, h('p', { class: 'empty' }, t('error.CX_NOT_FOUND'))));
  else if (!canOpen(user.role, page))
    content.append(h('main', { class: 'page' }, h('p', { class: 'empty' }, t('error.CX_FORBIDDEN'))));
  else if (page === 'overview') cleanup = overviewPage(content);
  else if (page === 'map') cleanup = mapPage(content);
  else if (page === 'ingest') cleanup = ingestPage(content);
  else cleanup = devicePage(content, route.id ?? '');
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
