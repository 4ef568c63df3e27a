/**
 * The probe gateways' health (GET /api/gateways), a small panel of the technicians' Outages page:
 * whether each gateway runs and is heard, how many targets it schedules, how late its runs start
 * (p99), what it holds unsent, and its runs per trouble reason since it started.
 */
import { formatNumber, reasonText, t } from '../i18n.ts';
import type { GatewayHealth } from '../types.ts';
import { h } from './dom.ts';
import { stateBadge } from './state.ts';
import { relTime } from './time.ts';

function figures(g: GatewayHealth): HTMLElement {
  const x = g.health;
  if (!x) return h('p', { class: 'muted' }, t('gateways.noHealth'));
  const errors = Object.entries(x.errorsByReason).sort(([, a], [, b]) => b - a);
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'meta' },
      t('gateways.figures', {
        targets: x.targets,
        lagMs: formatNumber(x.lagP99Ms ?? 0, 0),
        buffered: x.buffered ?? 0,
      }),
    ),
    errors.length
      ? h(
          'ul',
          { class: 'plain-list gateway-errors' },
          errors.map(([code, n]) =>
            h('li', { 'data-reason': code }, h('code', {}, code), ` × ${formatNumber(n, 0)}`),
          ),
        )
      : h('p', { class: 'meta' }, t('gateways.noErrors')),
  );
}

export function gatewayHealthList(rows: readonly GatewayHealth[]): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'muted' }, t('gateways.none'));
  return h(
    'ul',
    { class: 'plain-list gateways' },
    rows.map((g) =>
      h(
        'li',
        { class: 'panel gateway', 'data-gateway-id': g.id, 'data-state': g.state },
        stateBadge(g.state, 'compact'),
        ' ',
        h('strong', {}, g.name),
        g.state === 'up' ? null : h('p', { class: 'outage-reason' }, reasonText(g.reason, g.params)),
        h('div', { class: 'meta' }, t('gateways.lastSeen'), ' ', relTime(g.lastSeenTs)),
        figures(g),
      ),
    ),
  );
}
