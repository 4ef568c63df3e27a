/** State badge (icon + text + colour, never colour alone) and the colour legend. */
import { t } from '../i18n.ts';
import { type DeviceState, STATES } from '../types.ts';
import { h } from './dom.ts';
import { stateIcon } from './icons.ts';

/** Hex values for canvases and SVG fills (Leaflet markers, timeline). Keep in step with styles.css. */
export const STATE_COLORS: Record<DeviceState, string> = {
  up: '#1b7f3b',
  degraded: '#c77700',
  down: '#c62828',
  unreachable: '#7b4fa0',
  maintenance: '#1f63b5',
  unknown: '#7a828c',
};

/** Worst first: the order lists are sorted in and a site's marker takes the worst of its devices. */
export const SEVERITY: readonly DeviceState[] = [
  'down',
  'unreachable',
  'degraded',
  'unknown',
  'maintenance',
  'up',
];

export function severity(s: DeviceState): number {
  const i = SEVERITY.indexOf(s);
  return i < 0 ? SEVERITY.length : i;
}

export function worst(states: Iterable<DeviceState>): DeviceState {
  let w: DeviceState = 'up';
  let any = false;
  for (const s of states) {
    if (!any || severity(s) < severity(w)) w = s;
    any = true;
  }
  return any ? w : 'unknown';
}

export function stateText(s: DeviceState): string {
  return t(`state.${s}`);
}

export function stateBadge(s: DeviceState, extraClass = ''): HTMLElement {
  return h(
    'span',
    { class: `state-badge state-${s} ${extraClass}`.trim(), 'data-state': s },
    stateIcon(s),
    h('span', { class: 'state-text' }, stateText(s)),
  );
}

export function legend(): HTMLElement {
  return h(
    'ul',
    { class: 'legend', 'aria-label': t('legend.title') },
    STATES.map((s) => h('li', {}, stateBadge(s, 'compact'))),
  );
}
