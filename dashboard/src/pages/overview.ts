/** Overview: counts by state, filters (search without diacritics, type, hamlet, state), grouped live list. */
import { countByState, stateCounts } from '../components/counts.ts';
import { deviceRow, typeLabel } from '../components/device-row.ts';
import { h } from '../components/dom.ts';
import { icon } from '../components/icons.ts';
import { legend, severity, stateText } from '../components/state.ts';
import { typeSummary } from '../components/type-summary.ts';
import { formatNumber, getLocale, t } from '../i18n.ts';
import { queryMatcher } from '../search.ts';
import { app, subscribe } from '../store.ts';
import type { Device, DeviceState } from '../types.ts';

type GroupBy = 'type' | 'hamlet' | 'state';

/** Kept across visits so that coming back from a device page finds the list as it was left. */
const filters = { q: '', type: '', hamlet: '', state: '' as DeviceState | '', group: 'type' as GroupBy };

function byName(a: Device, b: Device): number {
  return severity(a.state) - severity(b.state) || a.name.localeCompare(b.name, getLocale());
}

function groupKey(d: Device, g: GroupBy): [string, string] {
  if (g === 'hamlet') return [d.hamletId, d.hamletName];
  if (g === 'state') return [String(severity(d.state)), stateText(d.state)];
  return [d.type, typeLabel(d)];
}

function groups(list: Device[], g: GroupBy): { key: string; label: string; items: Device[] }[] {
  const m = new Map<string, { key: string; label: string; items: Device[] }>();
  for (const d of list) {
    const [key, label] = groupKey(d, g);
    const e = m.get(key) ?? { key, label, items: [] };
    e.items.push(d);
    m.set(key, e);
  }
  const out = [...m.values()];
  out.sort((a, b) => (g === 'state' ? Number(a.key) - Number(b.key) : a.label.localeCompare(b.label, getLocale(), { numeric: true })));
  for (const e of out) e.items.sort(byName);
  return out;
}

function option(value: string, label: string, selected: string): HTMLOptionElement {
  return h('option', { value, selected: value === selected }, label);
}

export function overviewPage(root: HTMLElement): () => void {
  const search = h('input', {
    id: 'search',
    type: 'search',
    value: filters.q,
    placeholder: t('overview.searchPlaceholder'),
    'aria-label': t('overview.search'),
    autocomplete: 'off',
  });
  const hamletSel = h('select', { id: 'filter-hamlet', 'aria-label': t('overview.hamlet') });
  const groupSel = h(
    'select',
    { id: 'group-by', 'aria-label': t('overview.groupBy') },
    option('type', t('overview.groupByType'), filters.group),
    option('hamlet', t('overview.groupByHamlet'), filters.group),
    option('state', t('overview.groupByState'), filters.group),
  );
  const countsSlot = h('div', { class: 'counts-slot' });
  const typeSlot = h('div', { class: 'type-chips', role: 'group', 'aria-label': t('overview.type') });
  const resultLine = h('p', { class: 'result-line muted', role: 'status' });
  const listSlot = h('div', { class: 'device-groups' });
  const summarySlot = h('div', {});

  const commune = app.communes.find((c) => c.id === app.user?.communeId) ?? app.communes[0];

  const renderHamlets = () => {
    const seen = new Map<string, string>();
    for (const d of app.devices.values()) seen.set(d.hamletId, d.hamletName);
    const opts = [...seen].sort((a, b) => a[1].localeCompare(b[1], getLocale(), { numeric: true }));
    hamletSel.replaceChildren(option('', t('overview.allHamlets'), filters.hamlet), ...opts.map(([id, name]) => option(id, name, filters.hamlet)));
  };

  const render = () => {
    const all = [...app.devices.values()];
    const match = queryMatcher(filters.q);
    const inScope = all.filter((d) => (!filters.hamlet || d.hamletId === filters.hamlet) && match([d.name, d.id, d.siteName, d.hamletName]));

    const types = new Map<string, { label: string; n: number }>();
    for (const d of inScope) types.set(d.type, { label: typeLabel(d), n: (types.get(d.type)?.n ?? 0) + 1 });
    for (const d of all) if (!types.has(d.type)) types.set(d.type, { label: typeLabel(d), n: 0 });
    const chip = (type: string, label: string, n: number) =>
      h('button', { type: 'button', class: `chip${filters.type === type ? ' selected' : ''}`, 'aria-pressed': filters.type === type ? 'true' : 'false', 'data-type': type || 'all', onclick: () => { filters.type = type; schedule(); } }, label, h('span', { class: 'chip-n' }, formatNumber(n)));
    typeSlot.replaceChildren(
      chip('', t('overview.allTypes'), inScope.length),
      ...[...types].sort((a, b) => a[1].label.localeCompare(b[1].label, getLocale())).map(([type, v]) => chip(type, v.label, v.n)),
    );

    const ofType = inScope.filter((d) => !filters.type || d.type === filters.type);
    countsSlot.replaceChildren(stateCounts(countByState(ofType.map((d) => d.state)), filters.state, (s) => { filters.state = s; schedule(); }));
    const shown = ofType.filter((d) => !filters.state || d.state === filters.state);
    resultLine.textContent = t('overview.showing', { shown: shown.length, total: all.length });

    listSlot.replaceChildren(
      ...(shown.length === 0
        ? [h('p', { class: 'empty' }, app.devices.size === 0 ? t('overview.noDevices') : t('overview.noMatch'))]
        : groups(shown, filters.group).map((g) =>
            h('section', { class: 'group' }, h('h2', { class: 'group-title' }, g.label, h('span', { class: 'group-n' }, formatNumber(g.items.length))), h('ul', { class: 'device-list' }, g.items.map(deviceRow))),
          )),
    );
    summarySlot.replaceChildren(typeSummary(all));
  };

  let pending = 0;
  const schedule = () => {
    if (!pending) pending = requestAnimationFrame(() => { pending = 0; render(); });
  };

  search.addEventListener('input', () => { filters.q = search.value; schedule(); });
  hamletSel.addEventListener('change', () => { filters.hamlet = hamletSel.value; schedule(); });
  groupSel.addEventListener('change', () => { filters.group = groupSel.value as GroupBy; schedule(); });

  root.replaceChildren(
    h(
      'main',
      { class: 'page page-overview', id: 'main' },
      h('div', { class: 'page-head' }, h('h1', {}, t('overview.title')), commune ? h('p', { class: 'muted' }, t('overview.commune', { name: commune.name, province: commune.province })) : null),
      countsSlot,
      h(
        'div',
        { class: 'filters' },
        h('label', { class: 'search-box' }, icon('search'), search),
        h('label', { class: 'select-label' }, h('span', {}, t('overview.hamlet')), hamletSel),
        h('label', { class: 'select-label' }, h('span', {}, t('overview.groupBy')), groupSel),
      ),
      typeSlot,
      resultLine,
      listSlot,
      h('section', { class: 'panel' }, h('h2', {}, t('overview.byType')), summarySlot),
      h('section', { class: 'panel legend-panel' }, h('h2', {}, t('legend.title')), legend()),
    ),
  );
  renderHamlets();
  render();

  const unsubscribe = subscribe((c) => {
    if (c.kind === 'devices') renderHamlets();
    if (c.kind !== 'live') schedule();
  });
  return () => {
    unsubscribe();
    cancelAnimationFrame(pending);
  };
}
