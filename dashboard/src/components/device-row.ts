/** One device in a list: state (icon + text), name and where, why and since when, last heard. */
import { getLocale, reasonText, t } from '../i18n.ts';
import { href } from '../router.ts';
import { communeName, multiCommune } from '../store.ts';
import type { Device } from '../types.ts';
import { h } from './dom.ts';
import { stateBadge } from './state.ts';
import { relTime, since } from './time.ts';

export function typeLabel(d: Pick<Device, 'type' | 'typeLabel'>): string {
  return d.typeLabel?.[getLocale()] ?? d.typeLabel?.vi ?? d.type;
}

export function deviceRow(d: Device): HTMLElement {
  return h(
    'li',
    { class: `device-row state-${d.state}`, 'data-device-id': d.id, 'data-state': d.state },
    h('div', { class: 'c-state' }, stateBadge(d.state)),
    h(
      'div',
      { class: 'c-main' },
      h('a', { class: 'device-name', href: href('device', d.id) }, d.name),
      h('div', { class: 'meta' }, h('code', {}, d.id), ' · ', typeLabel(d)),
      h(
        'div',
        { class: 'meta' },
        d.siteName,
        ' · ',
        d.hamletName,
        multiCommune() ? ` · ${communeName(d.communeId)}` : null,
      ),
    ),
    h(
      'div',
      { class: 'c-reason' },
      h('div', { class: 'reason' }, reasonText(d.reason, d.params)),
      d.sinceTs !== null ? h('div', { class: 'meta' }, since(d.sinceTs)) : null,
    ),
    h(
      'div',
      { class: 'c-heard' },
      h('div', { class: 'meta label' }, t('device.lastHeard')),
      relTime(d.lastHeardTs, { withAbsolute: true }),
    ),
  );
}
