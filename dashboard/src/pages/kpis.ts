/**
 * "Chỉ tiêu" (issue #16): the leaders' view. The commune's KPIs against the plan's targets with
 * status and plan reference, each with "why?" opening the evidence drill-down (hamlet → site →
 * device → intervals); the trend of a KPI month by month over a year; the contractors against
 * their SLA; the reports to download and verify. Phone first: one column, tables scroll.
 */
import { api } from '../api.ts';
import { type Chart, trendChart } from '../components/chart.ts';
import { h } from '../components/dom.ts';
import { errorBox } from '../components/errors.ts';
import { evidencePanel, pct } from '../components/kpi-evidence.ts';
import { reportArchive } from '../components/report-archive.ts';
import { formatNumber, t } from '../i18n.ts';
import { definePage } from './page.ts';

interface Figure {
  targetId: string;
  name: string;
  unit: 'pct' | 'count' | 'minutes' | 'hours';
  better: 'higher' | 'lower';
  value: number | null;
  target: number;
  targetPeriod: string;
  planRef: string | null;
  status: string;
  evidence: string;
}
interface KpisOfCommune {
  communeId: string;
  figures: Figure[];
}
interface Trend {
  communeId: string;
  months: Array<{ period: string }>;
  series: Array<{
    targetId: string;
    name: string;
    unit: Figure['unit'];
    target: number;
    points: Array<{ value: number | null }>;
  }>;
}
interface ContractRow {
  key: string;
  value: number | null;
  evidence: string;
  basis: {
    contractorName: string;
    budgetLine: string;
    slaPct: number;
    status: string;
    devices: number;
    illustrative: number;
  };
}

export function formatKpi(v: number | null, unit: Figure['unit']): string {
  if (v === null) return t('kpi.noValue');
  if (unit === 'pct') return pct(v);
  return unit === 'count' ? formatNumber(v, 0) : `${formatNumber(v, 1)} ${t(`kpi.unit.${unit}`)}`;
}

/** "03/2026" from "2026-03". */
const monthLabel = (key: string) => `${key.slice(5, 7)}/${key.slice(0, 4)}`;

function statusBadge(status: string) {
  return h('span', { class: `kpi-status kpi-${status}` }, t(`kpi.status.${status}`));
}

function card(f: Figure, why: () => void) {
  const cmp = f.better === 'higher' ? '≥' : '≤';
  return h(
    'li',
    { class: `panel kpi-card kpi-${f.status}`, 'data-kpi-id': f.targetId, 'data-status': f.status },
    h('div', { class: 'kpi-name' }, f.name),
    h('div', { class: 'kpi-value' }, formatKpi(f.value, f.unit)),
    h(
      'div',
      { class: 'kpi-target' },
      t('kpi.target', {
        cmp,
        target: formatKpi(f.target, f.unit),
        period: t(`kpi.period.${f.targetPeriod}`),
      }),
    ),
    statusBadge(f.status),
    f.planRef ? h('p', { class: 'meta kpi-plan' }, t('kpi.planRef', { ref: f.planRef })) : null,
    h('button', { type: 'button', class: 'btn kpi-why', onclick: why }, t('kpi.why')),
  );
}

function contractorsTable(rows: ContractRow[], open: (label: string, link: string) => void) {
  if (!rows.length) return h('p', { class: 'muted' }, t('kpi.contractors.none'));
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'table contractors-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['contractor', 'budgetLine', 'sla', 'uptime', 'status'].map((k) =>
            h('th', {}, t(`kpi.contractors.${k}`)),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...rows.map((r) =>
          h(
            'tr',
            { 'data-contract': r.key, 'data-status': r.basis.status },
            h(
              'td',
              {},
              r.basis.contractorName,
              r.basis.illustrative
                ? h('span', { class: 'badge illustrative' }, t('kpi.contractors.illustrative'))
                : null,
            ),
            h(
              'td',
              {},
              r.basis.budgetLine,
              h('div', { class: 'meta' }, t('kpi.contractors.devices', { n: r.basis.devices })),
            ),
            h('td', { class: 'num' }, pct(r.basis.slaPct)),
            h(
              'td',
              { class: 'num' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'linklike',
                  onclick: () => open(r.basis.contractorName, r.evidence),
                },
                pct(r.value),
              ),
            ),
            h('td', {}, statusBadge(r.basis.status)),
          ),
        ),
      ),
    ),
  );
}

function kpisPage(root: HTMLElement): () => void {
  const status = h('div', { 'aria-live': 'polite' });
  const picker = h('select', { class: 'kpi-period', 'aria-label': t('kpi.periodPick') });
  const cards = h('ul', { class: 'plain-list kpi-cards' });
  const trendPick = h('select', { class: 'kpi-trend-pick', 'aria-label': t('kpi.trend.pick') });
  const trendSlot = h('div', { class: 'kpi-trend-slot' });
  const contractors = h('div', { class: 'kpi-contractors' });
  const evidence = evidencePanel();
  const archive = reportArchive();
  root.replaceChildren(
    h(
      'main',
      { class: 'page page-kpis', id: 'main' },
      h('div', { class: 'page-head charts-head' }, h('h1', {}, t('kpi.title')), picker),
      status,
      cards,
      h(
        'section',
        { class: 'panel kpi-trend' },
        h('div', { class: 'charts-head' }, h('h3', {}, t('kpi.trend.title')), trendPick),
        trendSlot,
      ),
      evidence.el,
      h('section', { class: 'panel' }, h('h3', {}, t('kpi.contractors.title')), contractors),
      archive.el,
    ),
  );
  let trend: Trend | undefined;
  let chart: Chart | undefined;
  const drawTrend = () => {
    chart?.destroy();
    const s = trend?.series.find((x) => x.targetId === trendPick.value) ?? trend?.series[0];
    if (!trend || !s) return trendSlot.replaceChildren(h('p', { class: 'muted' }, t('chart.empty')));
    chart = trendChart({
      title: s.name,
      unit: s.unit === 'pct' ? '%' : s.unit === 'count' ? '' : t(`kpi.unit.${s.unit}`),
      months: trend.months.map((m) => monthLabel(m.period)),
      values: s.points.map((p) => p.value),
      target: s.target,
    });
    trendSlot.replaceChildren(chart.el);
  };
  trendPick.addEventListener('change', drawTrend);
  let asked = 0;
  const load = async (period?: string) => {
    // A slower answer for a period chosen before must not overwrite the one chosen last.
    const mine = ++asked;
    cards.dataset.loaded = 'false';
    try {
      const [kpis, table] = await Promise.all([
        api.kpis<KpisOfCommune>(period),
        api.kpiContractors<{ communeId: string; period: string; rows: ContractRow[] }>(period),
      ]);
      if (mine !== asked) return;
      const c = kpis[0];
      cards.replaceChildren(
        ...(c?.figures ?? []).map((f) => card(f, () => evidence.show(f.name, f.evidence))),
      );
      contractors.replaceChildren(
        contractorsTable(table[0]?.rows ?? [], (label, link) => evidence.show(label, link)),
      );
      if (c && table[0]) await archive.load(c.communeId, table[0].period);
      cards.dataset.loaded = 'true';
      status.replaceChildren();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  };
  const start = async () => {
    try {
      trend = (await api.kpiTrend<Trend>())[0];
      const months = [...(trend?.months ?? [])].reverse();
      picker.replaceChildren(...months.map((m) => h('option', { value: m.period }, monthLabel(m.period))));
      trendPick.replaceChildren(
        ...(trend?.series ?? []).map((s) => h('option', { value: s.targetId }, s.name)),
      );
      drawTrend();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
    await load(picker.value || undefined);
  };
  picker.addEventListener('change', () => void load(picker.value));
  void start();
  return () => chart?.destroy();
}

export const kpis = definePage({
  id: 'kpis',
  path: '/kpis',
  titleKey: 'kpi.title',
  navKey: 'nav.kpis',
  roles: ['leader', 'admin'],
  render: (root) => kpisPage(root),
});
