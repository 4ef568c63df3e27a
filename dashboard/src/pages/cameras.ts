/**
 * "Camera" for the commune police: every camera as a card with its latest snapshot, state, reason
 * and since when, the approved reference's author and time, and a button to approve the current
 * snapshot as the new reference after a legitimate re-aim. The API refuses every other role.
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { onvifDiscoverySection } from '../components/onvif-discovery.ts';
import { stateBadge } from '../components/state.ts';
import { since } from '../components/time.ts';
import { formatDateTime, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import type { CameraCard } from '../types.ts';
import { definePage } from './page.ts';

const REFRESH_MS = 30_000;

function card(c: CameraCard, reload: () => void): HTMLElement {
  const approve = h('button', { type: 'button', class: 'btn approve-reference' }, t('cameras.approve'));
  approve.addEventListener('click', async () => {
    if (!confirm(t('cameras.approveConfirm', { name: c.name }))) return;
    approve.setAttribute('disabled', '');
    try {
      await api.approveReference(c.id);
      reload();
    } catch (err) {
      approve.replaceWith(errorBox(err));
    }
  });
  if (!c.snapshot) approve.setAttribute('disabled', '');
  const src = c.snapshot
    ? `/api/cameras/${encodeURIComponent(c.id)}/snapshot?sha256=${c.snapshot.sha256}`
    : null;
  return h(
    'section',
    { class: `panel camera-card state-${c.state}`, 'data-device-id': c.id, 'data-state': c.state },
    src
      ? h('img', {
          class: 'camera-snapshot',
          src,
          alt: t('cameras.snapshotOf', { name: c.name }),
          loading: 'lazy',
        })
      : h('div', { class: 'camera-snapshot camera-none muted' }, t('cameras.noSnapshot')),
    h('h2', {}, h('a', { href: href('camera', c.id), class: 'camera-link' }, c.name)),
    h('div', { class: 'camera-state' }, stateBadge(c.state), c.sinceTs ? since(c.sinceTs) : null),
    h('p', { class: 'meta camera-reason', 'data-reason': c.reason }, reasonText(c.reason, c.params)),
    h(
      'p',
      { class: 'muted camera-reference' },
      c.reference
        ? t('cameras.referenceBy', {
            user: c.reference.approvedBy,
            time: formatDateTime(c.reference.approvedTs),
          })
        : t('cameras.noReference'),
    ),
    approve,
  );
}

export function camerasPage(root: HTMLElement): () => void {
  const grid = h(
    'div',
    { class: 'camera-grid', 'data-loaded': 'false' },
    h('p', { class: 'muted' }, t('app.loading')),
  );
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async () => {
    clearTimeout(timer);
    try {
      const list = await api.cameras();
      if (!alive) return;
      grid.replaceChildren(
        ...(list.length
          ? list.map((c) => card(c, () => void load()))
          : [h('p', { class: 'muted' }, t('cameras.none'))]),
      );
      grid.setAttribute('data-loaded', 'true');
    } catch (err) {
      if (alive) grid.replaceChildren(errorBox(err));
    }
    if (alive) timer = setTimeout(() => void load(), REFRESH_MS);
  };
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-cameras', id: 'main' },
      h('div', { class: 'page-head' }, h('h1', {}, t('cameras.heading'))),
      grid,
      onvifDiscoverySection(),
    ),
  );
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

export const cameras = definePage({
  id: 'cameras',
  path: '/cameras',
  titleKey: 'cameras.title',
  navKey: 'nav.cameras',
  // Imagery is police only, as the API's /api/cameras.
  roles: ['police'],
  render: (root) => camerasPage(root),
});
