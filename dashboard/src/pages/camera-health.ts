/**
 * "Camera health" for those who keep the cameras running without watching them (issue #12): a
 * technician the commune file names a camera maintainer gets each camera's state, reason and since
 * when (no image, stream or position); leaders and the province get the counts by state alone.
 * The API decides: any other technician gets 403, shown as the refusal it is.
 */
import { api } from '../api.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { stateBadge, stateText } from '../components/state.ts';
import { since } from '../components/time.ts';
import { reasonText, t } from '../i18n.ts';
import type { CameraHealth, DeviceState } from '../types.ts';
import { definePage } from './page.ts';

const REFRESH_MS = 30_000;
const STATES: readonly DeviceState[] = ['up', 'degraded', 'down', 'unreachable', 'maintenance', 'unknown'];

function countsTable(data: CameraHealth, communeName: (id: string) => string): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'table camera-counts' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t('cameraHealth.total')),
          STATES.map((s) => h('th', {}, stateText(s))),
        ),
      ),
      h(
        'tbody',
        {},
        data.counts.map((c) =>
          h(
            'tr',
            { 'data-commune-id': c.communeId },
            h('th', { scope: 'row' }, `${communeName(c.communeId)}: ${c.total}`),
            STATES.map((s) => h('td', { 'data-state': s, 'data-label': stateText(s) }, String(c.byState[s]))),
          ),
        ),
      ),
    ),
  );
}

function healthRows(cams: NonNullable<CameraHealth['cameras']>): HTMLElement {
  return h(
    'ul',
    { class: 'camera-health-list' },
    cams.map((c) =>
      h(
        'li',
        { class: `panel camera-health state-${c.state}`, 'data-device-id': c.id, 'data-state': c.state },
        h('strong', {}, c.name),
        h('div', { class: 'camera-state' }, stateBadge(c.state), c.sinceTs ? since(c.sinceTs) : null),
        h('p', { class: 'meta', 'data-reason': c.reason }, reasonText(c.reason, c.params)),
      ),
    ),
  );
}

function render(root: HTMLElement): () => void {
  const body = h('div', { class: 'camera-health-body', 'data-loaded': 'false' }, t('app.loading'));
  root.replaceChildren(
    h('main', { class: 'page page-camera-health', id: 'main' }, h('h1', {}, t('cameraHealth.heading')), body),
  );
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const load = async () => {
    try {
      const [data, communes] = await Promise.all([api.cameraHealth(), api.communes()]);
      if (!alive) return;
      const names = new Map(communes.map((c) => [c.id, c.name]));
      const counts = countsTable(data, (id) => names.get(id) ?? id);
      body.replaceChildren(
        ...(data.cameras
          ? [h('p', { class: 'muted' }, t('cameraHealth.note')), counts, healthRows(data.cameras)]
          : [h('p', { class: 'muted' }, t('cameraHealth.countsNote')), counts]),
      );
      body.setAttribute('data-loaded', 'true');
      timer = setTimeout(() => void load(), REFRESH_MS);
    } catch (err) {
      if (alive) body.replaceChildren(errorBox(err));
      body.setAttribute('data-loaded', 'error');
    }
  };
  void load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
}

export const cameraHealth = definePage({
  id: 'camera-health',
  path: '/camera-health',
  titleKey: 'cameraHealth.title',
  navKey: 'nav.cameraHealth',
  // The police have the full grid. Technicians who are not camera maintainers get the API's 403.
  roles: ['technician', 'leader', 'province'],
  render: (root) => render(root),
});
