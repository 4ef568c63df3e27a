/** Counts by state as cards; a card is also the state filter (press to show only that state). */
import { formatNumber, t } from '../i18n.ts';
import { type DeviceState, STATES } from '../types.ts';
import { h } from './dom.ts';
import { stateIcon } from './icons.ts';
import { stateText } from './state.ts';

export function countByState(states: Iterable<DeviceState>): Record<DeviceState, number> {
  const c = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<DeviceState, number>;
  for (const s of states) c[s] = (c[s] ?? 0) + 1;
  return c;
}

export function stateCounts(
  counts: Record<DeviceState, number>,
  selected: DeviceState | '',
  onSelect: (s: DeviceState | '') => void,
): HTMLElement {
  return h(
    'div',
    { class: 'counts', role: 'group', 'aria-label': t('overview.countsLabel') },
    STATES.map((s) =>
      h(
        'button',
        {
          type: 'button',
          class: `count-card state-${s}${selected === s ? ' selected' : ''}${counts[s] === 0 ? ' zero' : ''}`,
          'aria-pressed': selected === s ? 'true' : 'false',
          'data-count-state': s,
          title: `${stateText(s)} — ${t('overview.filterByState')}`,
          onclick: () => onSelect(selected === s ? '' : s),
        },
        h('span', { class: 'count-num' }, formatNumber(counts[s])),
        h('span', { class: 'count-label' }, stateIcon(s), h('span', {}, stateText(s))),
      ),
    ),
  );
}
