/**
 * Overview: counts by state, filters (search without diacritics, type, hamlet, state; commune for a
 * province user), grouped live list.
 */
import { countByState, stateCounts } from '../components/counts.ts';
import { deviceRow, typeLabel } from '../components/device-row.ts';
import { h } from '../components/dom.ts';
import { icon } from '../components/icons.ts';
import { legend, severity, stateText } from '../components/state.ts';
import { summaryPanel } from '../components/summary-panel.ts';
import { typeRank } from '../components/type-summary.ts';
import { formatNumber, getLocale, t } from '../i18n.ts';
import { queryMatcher } from '../search.ts';
import { app, communeName, multiCommune, subscribe } from '../store.ts';
import type { Device, DeviceState } from '../types.ts';
import { definePage } from './page.ts';

type GroupBy = 'type' | 'hamlet' | 'state' | 'commune';
interface Group {
  key: string;
  label: string;
  items: Device[];
}

/** Kept across visits so that coming back from a device page finds the list as it was left. */
const filters = {
  q: '',
  commune: '',
  type: '',
  hamlet: '',
  state: '' as DeviceState | '',
  group: 'type' as GroupBy,
};

function compareDevices(a: Device, b: Device): number {
  return (
    severity(a.state) - severity(b.state) || a.name.localeCompare(b.name, getLocale(), { numeric: true })
  );
}

function groupKey(d: Device, g: GroupBy): [string, string] {
  if (g === 'hamlet') return [d.hamletId, d.hamletName];
  if (g === 'state') return [String(severity(d.state)), stateText(d.state)];
  if (g === 'commune') return [d.communeId, communeName(d.communeId)];
  return [d.type, typeLabel(d)];
}

function compareGroups(a: Group, b: Group, g: GroupBy): number {
  if (g === 'state') return Number(a.key) - Number(b.key);
  if (g === 'type') return typeRank(a.key) - typeRank(b.key) || a.label.localeCompare(b.label, getLocale());
  return a.label.localeCompare(b.label, getLocale(), { numeric: true });
}

function groupDevices(list: Device[], g: GroupBy): Group[] {
  const m = new Map<string, Group>();
  for (const d of list) {
    const [key, label] = groupKey(d, g);
    const e = m.get(key) ?? { key, label, items: [] };
    e.items.push(d);
    m.set(key, e);
  }
  const out = [...m.values()].sort((a, b) => compareGroups(a, b, g));
  for (const e of out) e.items.sort(compareDevices);
  return out;
}

function option(value: string, label: string, selected: string): HTMLOptionElement {
  return h('option', { value, selected: value === selected }, label);
}

function groupSection(g: Group): HTMLElement {
  return h(
    'section',
    { class: 'group', 'data-group': g.key },
    h('h2', { class: 'group-title' }, g.label, h('span', { class: 'group-n' }, formatNumber(g.items.length))),
    h('ul', { class: 'device-list' }, g.items.map(deviceRow)),
  );
}

function typeChips(inScope: Device[], all: Device[], onPick: (type: string) => void): HTMLElement[] {
  const types = new Map<string, { label: string; n: number }>();
  for (const d of all) types.set(d.type, { label: typeLabel(d), n: 0 });
  for (const d of inScope) types.get(d.type)!.n += 1;
  const chip = (type: string, label: string, n: number) =>
    h(
      'button',
      {
        type: 'button',
        class: `chip${filters.type === type ? ' selected' : ''}`,
        'aria-pressed': filters.type === type ? 'true' : 'false',
        'data-type': type || 'all',
        onclick: () => onPick(type),
      },
      label,
      h('span', { class: 'chip-n' }, formatNumber(n)),
    );
  const sorted = [...types].sort((a, b) => typeRank(a[0]) - typeRank(b[0]));
  return [
    chip('', t('overview.allTypes'), inScope.length),
    ...sorted.map(([type, v]) => chip(type, v.label, v.n)),
  ];
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
  const hamletSel = h('select', { id: 'filter-hamlet' });
  const multi = multiCommune();
  // Filters outlive the page, not the user: drop a commune this user does not have.
  if (!app.communes.some((c) => c.id === filters.commune)) filters.commune = '';
  if (!multi && filters.group === 'commune') filters.group = 'type';
  const communeSel = multi ? h('select', { id: 'filter-commune' }) : null;
  const groupSel = h(
    'select',
    { id: 'group-by' },
    option('type', t('overview.groupByType'), filters.group),
    option('hamlet', t('overview.groupByHamlet'), filters.group),
    option('state', t('overview.groupByState'), filters.group),
    multi ? option('commune', t('overview.groupByCommune'), filters.group) : null,
  );
  const countsSlot = h('div', { class: 'counts-slot' });
  const typeSlot = h('div', { class: 'type-chips', role: 'group', 'aria-label': t('overview.type') });
  const resultLine = h('p', { class: 'result-line muted', role: 'status' });
  const listSlot = h('div', { class: 'device-groups' });
  const summary = summaryPanel({
    onCommune: (commune) => {
      if (communeSel) communeSel.value = commune;
      set({ commune, hamlet: '' });
      renderHamlets();
      listSlot.scrollIntoView?.({ block: 'start' });
    },
  });
  const commune = app.communes.find((c) => c.id === app.user?.communeId) ?? app.communes[0];

  let pending = 0;
  const schedule = () => {
    if (!pending)
      pending = requestAnimationFrame(() => {
        pending = 0;
        render();
      });
  };
  const set = (patch: Partial<typeof filters>) => {
    Object.assign(filters, patch);
    schedule();
  };

  const renderHamlets = () => {
    const seen = new Map<string, string>();
    for (const d of app.devices.values()) {
      if (filters.commune && d.communeId !== filters.commune) continue;
      // Hamlet names repeat across communes ("Ấp 1"): name the commune when several are listed.
      seen.set(
        d.hamletId,
        multi && !filters.commune ? `${d.hamletName} — ${communeName(d.communeId)}` : d.hamletName,
      );
    }
    const opts = [...seen].sort((a, b) => a[1].localeCompare(b[1], getLocale(), { numeric: true }));
    hamletSel.replaceChildren(
      option('', t('overview.allHamlets'), filters.hamlet),
      ...opts.map(([id, name]) => option(id, name, filters.hamlet)),
    );
    communeSel?.replaceChildren(
      option('', t('overview.allCommunes'), filters.commune),
      ...app.communes.map((c) => option(c.id, c.name, filters.commune)),
    );
  };

  function render(): void {
    const all = [...app.devices.values()].filter((d) => !filters.commune || d.communeId === filters.commune);
    const match = queryMatcher(filters.q);
    const inScope = all.filter(
      (d) =>
        (!filters.hamlet || d.hamletId === filters.hamlet) &&
        match([d.name, d.id, d.siteName, d.hamletName, multi ? communeName(d.communeId) : null]),
    );
    typeSlot.replaceChildren(...typeChips(inScope, all, (type) => set({ type })));
    const ofType = inScope.filter((d) => !filters.type || d.type === filters.type);
    countsSlot.replaceChildren(
      stateCounts(countByState(ofType.map((d) => d.state)), filters.state, (state) => set({ state })),
    );
    const shown = ofType.filter((d) => !filters.state || d.state === filters.state);
    resultLine.textContent = t('overview.showing', { shown: shown.length, total: all.length });
    const empty = app.devices.size === 0 ? t('overview.noDevices') : t('overview.noMatch');
    listSlot.replaceChildren(
      ...(shown.length
        ? groupDevices(shown, filters.group).map(groupSection)
        : [h('p', { class: 'empty' }, empty)]),
    );
  }

  search.addEventListener('input', () => set({ q: search.value }));
  hamletSel.addEventListener('change', () => set({ hamlet: hamletSel.value }));
  communeSel?.addEventListener('change', () => {
    set({ commune: communeSel.value, hamlet: '' });
    renderHamlets();
  });
  groupSel.addEventListener('change', () => set({ group: groupSel.value as GroupBy }));

  const leaderFirst = app.user?.role === 'leader' || app.user?.role === 'province';
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-overview', id: 'main' },
      h(
        'div',
        { class: 'page-head' },
        h('h1', {}, t('overview.title')),
        commune
          ? h(
              'p',
              { class: 'muted' },
              multi
                ? t('overview.provinceScope', { province: commune.province, count: app.communes.length })
                : t('overview.commune', { name: commune.name, province: commune.province }),
            )
          : null,
      ),
      countsSlot,
      leaderFirst ? summary.el : null,
      h(
        'div',
        { class: 'filters' },
        h('label', { class: 'search-box' }, icon('search'), search),
        communeSel
          ? h('label', { class: 'select-label' }, h('span', {}, t('overview.communeFilter')), communeSel)
          : null,
        h('label', { class: 'select-label' }, h('span', {}, t('overview.hamlet')), hamletSel),
        h('label', { class: 'select-label' }, h('span', {}, t('overview.groupBy')), groupSel),
      ),
      typeSlot,
      resultLine,
      listSlot,
      leaderFirst ? null : summary.el,
      h('section', { class: 'panel legend-panel' }, h('h2', {}, t('legend.title')), legend()),
    ),
  );
  renderHamlets();
  render();

  const unsubscribe = subscribe((c) => {
    if (c.kind === 'live') return;
    if (c.kind === 'devices') renderHamlets();
    schedule();
    if (!(c.kind === 'device' && c.heard)) summary.refresh();
  });
  return () => {
    unsubscribe();
    summary.stop();
    cancelAnimationFrame(pending);
  };
}

export const overview = definePage({
  id: 'overview',
  path: '/',
  titleKey: 'overview.title',
  navKey: 'nav.overview',
  roles: ['police', 'economics', 'technician', 'leader', 'admin', 'province'],
  render: (root) => overviewPage(root),
});
