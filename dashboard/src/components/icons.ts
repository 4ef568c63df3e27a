/** Inline SVG icons (no icon font, no emoji: the field laptops and phones may lack those fonts). */
import type { DeviceState } from '../types.ts';
import { svg } from './dom.ts';

const wrap = (body: string, cls = 'icon') =>
  `<svg class="${cls}" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">${body}</svg>`;

const STATE_ICONS: Record<DeviceState, string> = {
  // check in a circle
  up: '<circle cx="8" cy="8" r="7" fill="currentColor"/><path d="M4.6 8.3l2.2 2.2 4.6-4.8" fill="none" stroke="#fff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>',
  // warning triangle
  degraded:
    '<path d="M8 1.2l7 13H1z" fill="currentColor"/><path d="M8 5.6v4.2" stroke="#fff" stroke-width="1.7" stroke-linecap="round"/><circle cx="8" cy="12" r="1" fill="#fff"/>',
  // cross in a circle
  down: '<circle cx="8" cy="8" r="7" fill="currentColor"/><path d="M5.3 5.3l5.4 5.4M10.7 5.3l-5.4 5.4" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>',
  // broken link
  unreachable:
    '<circle cx="8" cy="8" r="7" fill="currentColor"/><path d="M4.5 9.5l1.6-1.6M9.9 6.1l1.6-1.6M6.2 11.6l1.1-1.1M8.7 5.4l1.1-1.1" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/><path d="M3.5 12.5l9-9" stroke="#fff" stroke-width="1.2" stroke-linecap="round" opacity=".8"/>',
  // wrench
  maintenance:
    '<circle cx="8" cy="8" r="7" fill="currentColor"/><path d="M10.9 4.2a2.4 2.4 0 00-3 3L4.6 10.5a.9.9 0 001.3 1.3l3.3-3.3a2.4 2.4 0 003-3l-1.4 1.4-1.2-.3-.3-1.2z" fill="#fff"/>',
  // question mark
  unknown:
    '<circle cx="8" cy="8" r="7" fill="currentColor"/><path d="M6.2 6.2a1.9 1.9 0 113 1.5c-.8.5-1.2.9-1.2 1.8" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round"/><circle cx="8" cy="11.8" r=".95" fill="#fff"/>',
};

export function stateIcon(state: DeviceState): Element {
  return svg(wrap(STATE_ICONS[state] ?? STATE_ICONS.unknown, `icon state-icon state-${state}`));
}

export function stateIconMarkup(state: DeviceState): string {
  return wrap(STATE_ICONS[state] ?? STATE_ICONS.unknown, `icon state-icon state-${state}`);
}

const UI_ICONS = {
  shield:
    '<path d="M8 1l6 2.5v4c0 3.6-2.6 6.3-6 7.5C4.6 13.8 2 11.1 2 7.5v-4z" fill="currentColor"/><path d="M5.2 8l2 2 3.6-3.8" fill="none" stroke="#fff" stroke-width="1.5" stroke-linecap="round" stroke-linejoin="round"/>',
  search:
    '<circle cx="7" cy="7" r="4.5" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M10.3 10.3L14 14" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"/>',
  back: '<path d="M10 3L5 8l5 5" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"/>',
  refresh:
    '<path d="M13 8a5 5 0 11-1.5-3.6" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/><path d="M13 2.5v3h-3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>',
  live: '<circle cx="8" cy="8" r="3.2" fill="currentColor"/><circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.4" opacity=".5"/>',
  logout:
    '<path d="M6 2.5H3v11h3M10 5l3 3-3 3M13 8H6.5" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>',
  account:
    '<circle cx="8" cy="5.5" r="2.8" fill="none" stroke="currentColor" stroke-width="1.6"/><path d="M2.8 14c.6-2.8 2.7-4.3 5.2-4.3s4.6 1.5 5.2 4.3" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round"/>',
} as const;

export function icon(name: keyof typeof UI_ICONS): Element {
  return svg(wrap(UI_ICONS[name]));
}
