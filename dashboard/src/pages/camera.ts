/**
 * One camera for the commune police (issue #12): its state, reason and since when, maintenance on
 * and off, the clock drift chart over 24 h / 7 d / 30 d (from the drift route's rollups), the
 * latest kept snapshots beside the approved reference, and its state intervals with their
 * reasons. Every one of these reads is audited by the API, which refuses every other role.
 */
import { api } from '../api.ts';
import { metricCharts } from '../components/device-charts.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { icon } from '../components/icons.ts';
import { stateBadge } from '../components/state.ts';
import { since } from '../components/time.ts';
import { timeline24h } from '../components/timeline.ts';
import { formatDateTime, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import type { CameraSnapshots } from '../types.ts';
import { historyTable, maintenanceBox } from './device.ts';
import { definePage } from './page.ts';

const HISTORY_DAYS = 7;
const REFRESH_MS = 30_000;
/** Thumbnails shown: each is a read of an image, audited. */
const SHOWN_SNAPSHOTS = 8;

function snapshotStrip(id: string, s: CameraSnapshots): HTMLElement {
  const url = (sha: string) => `/api/cameras/${encodeURIComponent(id)}/snapshot?sha256=${sha}`;
  const figure = (sha: string, caption: string, cls: string) =>
    h(
      'figure',
      { class: `camera-thumb ${cls}`, 'data-sha256': sha },
      h(
        'a',
        { href: url(sha), target: '_blank', rel: 'noopener' },
        h('img', { src: url(sha), alt: caption, loading: 'lazy' }),
      ),
      h('figcaption', { class: 'meta' }, caption),
    );
  const items = s.snapshots
    .slice(0, SHOWN_SNAPSHOTS)
    .map((x) => figure(x.sha256, formatDateTime(x.takenTs), 'camera-recent'));
  const ref = s.reference
    ? figure(
        s.reference.sha256,
        t('cameras.referenceBy', {
          user: s.reference.approvedBy,
          time: formatDateTime(s.reference.approvedTs),
        }),
        'camera-ref',
      )
    : h('p', { class: 'muted' }, t('cameras.noReference'));
  return h(
    'div',
    { class: 'camera-snapshots' },
    ref,
    items.length
      ? h('div', { class: 'camera-thumbs' }, items)
      : h('p', { class: 'muted' }, t('cameras.noSnapshot')),
  );
}

const section = (title: string, ...body: (HTMLElement | null)[]) =>
  h('section', { class: 'panel' }, h('h2', {}, title), ...body);

export function cameraPage(root: HTMLElement, id: string): () => void {
  const main = h('main', { class: 'page page-camera', id: 'main', 'data-loaded': 'false' });
  root.replaceChildren(main);
  const back = () => h('a', { class: 'back', href: href('cameras') }, icon('back'), t('camera.back'));
  const charts = metricCharts(id, (_metric, range) => api.cameraDrift(id, range));
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The strip is drawn again only when its images change: each image read is audited and sent
  // uncached, and a redraw every refresh read them all again.
  let strip: { key: string; el: HTMLElement } | undefined;
  const stripOf = (snaps: CameraSnapshots) => {
    const key = `${snaps.reference?.sha256 ?? ''}|${snaps.snapshots.map((x) => x.sha256).join()}`;
    if (strip?.key !== key) strip = { key, el: snapshotStrip(id, snaps) };
    return strip.el;
  };

  const load = async () => {
    clearTimeout(timer);
    const now = Date.now();
    try {
      const [d, hist, snaps] = await Promise.all([
        api.device(id),
        api.history(id, now - HISTORY_DAYS * 86_400_000, now),
        api.cameraSnapshots(id),
      ]);
      if (!alive) return;
      main.replaceChildren(
        back(),
        h(
          'div',
          { class: 'device-head' },
          h('div', {}, h('h1', {}, d.name), h('p', { class: 'muted' }, d.siteName, ' · ', d.hamletName)),
          h(
            'div',
            { class: 'device-state', 'data-device-id': d.id, 'data-state': d.state },
            stateBadge(d.state, 'large'),
            h('div', { class: 'reason', 'data-reason': d.reason }, reasonText(d.reason, d.params)),
            d.sinceTs !== null ? h('div', { class: 'meta' }, since(d.sinceTs)) : null,
            maintenanceBox(d, () => void load()),
          ),
        ),
        charts.show(['clockDriftSec']),
        section(t('camera.snapshots'), stripOf(snaps)),
        section(t('timeline.title'), timeline24h(hist, now)),
        section(t('history.title', { days: HISTORY_DAYS }), historyTable(hist, now)),
      );
      main.setAttribute('data-loaded', 'true');
    } catch (err) {
      if (alive) main.replaceChildren(back(), errorBox(err));
    }
    if (alive) timer = setTimeout(refresh, REFRESH_MS);
  };
  // Not while the police fill in the maintenance form: a redraw would throw their words away.
  const refresh = () => {
    if (main.querySelector('.maint-form:not([hidden]), .maint-confirm:not([hidden])'))
      timer = setTimeout(refresh, REFRESH_MS);
    else void load();
  };
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
    charts.destroy();
  };
}

export const camera = definePage({
  id: 'camera',
  path: '/cameras/:id',
  titleKey: 'camera.title',
  // Police only, as every camera route of the API.
  roles: ['police'],
  render: (root, params) => cameraPage(root, params.id ?? ''),
});
