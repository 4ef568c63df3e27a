/** Table of devices by type × state: the leaders' summary, and a quick check for everyone. */
import { DEVICE_TYPES } from '../../../services/device-types/registry.ts';
import { formatNumber, getLocale, t } from '../i18n.ts';
import { type Device, STATES, type StateCounts } from '../types.ts';
import { countByState } from './counts.ts';
import { h } from './dom.ts';
import { stateIcon } from './icons.ts';
import { stateText } from './state.ts';

export interface TypeRow {
  type: string;
  counts: StateCounts;
}

/** Label of a device type kind from the shared registry (the same table the server uses). */
export function kindLabel(kind: string): string {
  const dt = DEVICE_TYPES.find((x) => x.kind === kind);
  return dt ? dt.label[getLocale()] : kind;
}

/** Types in the registry's order (cameras first, as the plans budget them), unknown kinds last. */
export function typeRank(kind: string): number {
  const i = DEVICE_TYPES.findIndex((x) => x.kind === kind);
  return i < 0 ? DEVICE_TYPES.length : i;
}

export function rowsFromDevices(devices: readonly Device[]): TypeRow[] {
  const byType = new Map<string, Device[]>();
  for (const d of devices) byType.set(d.type, [...(byType.get(d.type) ?? []), d]);
  return [...byType].map(([type, list]) => ({ type, counts: countByState(list.map((d) => d.state)) }));
}

function pct(up: number, total: number): string {
  return total === 0 ? '–' : `${formatNumber((100 * up) / total, 0)} %`;
}

export function typeSummary(rows: readonly TypeRow[]): HTMLElement {
  const sorted = [...rows].sort((a, b) => typeRank(a.type) - typeRank(b.type));
  return countsTable(
    sorted.map(({ type, counts }) => ({ label: kindLabel(type), counts, attrs: { 'data-type': type } })),
    {
      tableClass: 'type-table',
      caption: t('overview.byType'),
      firstColumn: t('device.type'),
      totalLabel: t('overview.allTypesTotal'),
    },
  );
}

export interface CountsRow {
  label: string | Node;
  counts: StateCounts;
  attrs: Record<string, string>;
}

/** A table of rows × states with a total column, an up share and (for several rows) a total row. */
export function countsTable(
  rows: readonly CountsRow[],
  opts: { tableClass: string; caption: string; firstColumn: string; totalLabel: string },
): HTMLElement {
  const row = (label: string | Node, c: StateCounts, attrs: Record<string, string>) => {
    const total = STATES.reduce((a, s) => a + (c[s] ?? 0), 0);
    return h(
      'tr',
      attrs,
      h('th', { scope: 'row' }, label),
      // data-label names the column on a phone, where each row is a card (responsive.css).
      h('td', { class: 'num c-total', 'data-label': t('overview.total') }, formatNumber(total)),
      STATES.map((s) =>
        h(
          'td',
          { class: `num${c[s] ? ` cell-${s}` : ' zero'}`, 'data-label': stateText(s), 'data-state': s },
          formatNumber(c[s] ?? 0),
        ),
      ),
      h('td', { class: 'num c-share', 'data-label': t('overview.upShare') }, pct(c.up ?? 0, total)),
    );
  };
  const body = rows.map((r) => row(r.label, r.counts, r.attrs));
  const sum = Object.fromEntries(
    STATES.map((s) => [s, rows.reduce((a, r) => a + (r.counts[s] ?? 0), 0)]),
  ) as StateCounts;
  const foot = rows.length > 1 ? h('tfoot', {}, row(opts.totalLabel, sum, { class: 'total-row' })) : null;
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: `table summary-table ${opts.tableClass}` },
      h('caption', { class: 'sr-only' }, opts.caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, opts.firstColumn),
          h('th', { scope: 'col', class: 'num' }, t('overview.total')),
          STATES.map((s) =>
            h(
              'th',
              { scope: 'col', class: 'num', title: stateText(s) },
              stateIcon(s),
              h('span', { class: 'th-state' }, stateText(s)),
            ),
          ),
          h('th', { scope: 'col', class: 'num' }, t('overview.upShare')),
        ),
      ),
      h('tbody', {}, body),
      foot,
    ),
  );
}
