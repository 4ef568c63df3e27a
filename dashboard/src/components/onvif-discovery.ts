/**
 * "Thiết bị ONVIF chưa có trong danh mục": the cameras on the service's LAN that answer
 * WS-Discovery but that no commune file names (GET /api/cameras/discovery), a section of the
 * police's camera page. A camera nobody watches is one nobody notices when it is turned away.
 */
import { api } from '../api.ts';
import { formatDateTime, t } from '../i18n.ts';
import type { OnvifDiscoveryRun } from '../types.ts';
import { h } from './dom.ts';
import { errorBox } from './errors.ts';

function list(run: OnvifDiscoveryRun): HTMLElement {
  if (run.error) return h('p', { class: 'muted' }, t('cameras.discovery.failed', { error: run.error }));
  if (run.devices.length === 0) return h('p', { class: 'muted' }, t('cameras.discovery.none'));
  return h(
    'ul',
    { class: 'plain-list onvif-unlisted' },
    run.devices.map((d) =>
      h(
        'li',
        { 'data-endpoint': d.endpoint },
        h('strong', {}, `${d.host}:${d.port}`),
        ' ',
        [d.name, d.hardware].filter(Boolean).join(' · '),
        h('div', { class: 'meta' }, h('code', {}, d.endpoint)),
      ),
    ),
  );
}

export function onvifDiscoverySection(): HTMLElement {
  const body = h('div', { class: 'onvif-discovery-body' }, h('p', { class: 'muted' }, t('app.loading')));
  const when = h('p', { class: 'meta' });
  const again = h('button', { type: 'button', class: 'btn' }, t('cameras.discovery.again'));
  const section = h(
    'section',
    { class: 'panel onvif-discovery', 'data-loaded': 'false' },
    h('h2', {}, t('cameras.discovery.heading')),
    h('p', { class: 'muted' }, t('cameras.discovery.explain')),
    body,
    when,
    again,
  );
  const load = async () => {
    again.setAttribute('disabled', '');
    try {
      const run = await api.onvifDiscovery();
      body.replaceChildren(list(run));
      when.textContent = t('cameras.discovery.ranAt', { time: formatDateTime(run.ranTs) });
      section.setAttribute('data-loaded', 'true');
    } catch (err) {
      body.replaceChildren(errorBox(err));
    }
    again.removeAttribute('disabled');
  };
  again.addEventListener('click', () => void load());
  void load();
  return section;
}
