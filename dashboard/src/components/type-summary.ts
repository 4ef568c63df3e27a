/** Table of devices by type × state: the leaders' summary, and a quick check for everyone. */
import { formatNumber, t } from '../i18n.ts';
import { type Device, STATES } from '../types.ts';
import { countByState } from './counts.ts';
import { typeLabel } from './device-row.ts';
import { h } from './dom.ts';
import { stateIcon } from './icons.ts';
import { stateText } from './state.ts';

function pct(up: number, total: number): string {
  return total === 0 ? '–' : `${formatNumber((100 * up) / total, 0)} %`;
}

export function typeSummary(devices: readonly Device[]): HTMLElement {
  const byType = new Map<string, Device[]>();
  for (const d of devices) byType.set(d.type, [...(byType.get(d.type) ?? []), d]);
  const rows = [...byType.values()].map((list) => {
    const c = countByState(list.map((d) => d.state));
    return h(
      'tr',
      { 'data-type': list[0]?.type ?? '' },
      h('th', { scope: 'row' }, list[0] ? typeLabel(list[0]) : ''),
      h('td', { class: 'num' }, formatNumber(list.length)),
      STATES.map((s) => h('td', { class: `num${c[s] ? ` cell-${s}` : ' zero'}` }, formatNumber(c[s]))),
      h('td', { class: 'num' }, pct(c.up, list.length)),
    );
  });
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'table summary-table' },
      h('caption', { class: 'sr-only' }, t('overview.byType')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, t('device.type')),
          h('th', { scope: 'col', class: 'num' }, t('overview.total')),
          STATES.map((s) => h('th', { scope: 'col', class: 'num', title: stateText(s) }, stateIcon(s), h('span', { class: 'th-state' }, stateText(s)))),
          h('th', { scope: 'col', class: 'num' }, t('overview.upShare')),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
