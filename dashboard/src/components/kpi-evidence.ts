/**
 * The drill-down behind a KPI figure (GET /api/kpis/:kpiId/evidence): commune → hamlet → site →
 * device → its intervals and events, by the links each answer gives. Each level lists the counted
 * seconds (up, down, maintenance, unknown, excluded) so a leader can answer "why 97,3 %?". Camera
 * devices arrive as one aggregate row without a name or place (the API withholds them).
 */
import { api } from '../api.ts';
import { formatDateTime, formatDuration, formatNumber, getLocale, reasonText, t } from '../i18n.ts';
import type { Params } from '../types.ts';
import { h } from './dom.ts';
import { errorBox } from './errors.ts';

export interface Contribution {
  devices: number;
  upSec: number;
  downSec: number;
  unreachableSec: number;
  maintenanceSec: number;
  unknownSec: number;
  excludedSec: number;
  uptimePct: number | null;
}

interface EvidenceView {
  name: string;
  scope: { kind: string; id: string; label: string };
  rules: string[];
  totals: Contribution;
  children: Array<Contribution & { kind: string; id: string; label: string; evidence: string }>;
  devices: Array<Contribution & { deviceId: string; name: string }>;
  withheld: Array<Contribution & { type: string; label: { vi: string; en: string } }>;
  intervals?: Array<{ state: string; reason: string; params: Params; startTs: number; endTs: number }>;
  events?: Array<{ ts: number; type: string; severity: string }>;
  eventsTruncated?: boolean;
}

const dur = (sec: number) => (sec > 0 ? formatDuration(sec * 1000) : '–');
export const pct = (v: number | null) => (v === null ? t('kpi.noValue') : `${formatNumber(v, 2)} %`);

function cells(c: Contribution) {
  return [
    h('td', { class: 'num', 'data-col': 'uptime' }, pct(c.uptimePct)),
    h('td', { class: 'num', 'data-col': 'up' }, dur(c.upSec)),
    h(
      'td',
      {
        class: 'num',
        'data-col': 'down',
        title: t('kpi.evidence.unreachable', { d: dur(c.unreachableSec) }),
      },
      dur(c.downSec),
    ),
    h('td', { class: 'num', 'data-col': 'maintenance' }, dur(c.maintenanceSec)),
    h('td', { class: 'num', 'data-col': 'unknown' }, dur(c.unknownSec)),
    h('td', { class: 'num', 'data-col': 'excluded' }, dur(c.excludedSec)),
  ];
}

const HEAD = ['uptime', 'up', 'down', 'maintenance', 'unknown', 'excluded'];

function table(e: EvidenceView, open: (label: string, link: string) => void) {
  const rows = [
    ...e.children.map((c) =>
      h(
        'tr',
        { 'data-kind': c.kind, 'data-id': c.id },
        h(
          'th',
          { scope: 'row' },
          h(
            'button',
            { type: 'button', class: 'linklike', onclick: () => open(c.label, c.evidence) },
            c.label,
          ),
          c.kind !== 'device' ? h('span', { class: 'muted' }, ` (${c.devices})`) : null,
        ),
        ...cells(c),
      ),
    ),
    ...e.withheld.map((w) =>
      h(
        'tr',
        { class: 'withheld', 'data-withheld': w.type },
        h('th', { scope: 'row' }, t('kpi.evidence.withheld', { type: w.label[getLocale()], n: w.devices })),
        ...cells(w),
      ),
    ),
  ];
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'table evidence-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, t(`kpi.evidence.level.${e.scope.kind}`)),
          ...HEAD.map((k) => h('th', { class: 'num' }, t(`kpi.evidence.col.${k}`))),
        ),
      ),
      h('tbody', {}, ...rows),
      h(
        'tfoot',
        {},
        h('tr', { class: 'totals' }, h('th', { scope: 'row' }, t('kpi.evidence.total')), ...cells(e.totals)),
      ),
    ),
  );
}

function deviceDetail(e: EvidenceView) {
  const intervals = e.intervals ?? [];
  return [
    h('h4', {}, t('kpi.evidence.intervals')),
    h(
      'ol',
      { class: 'plain-list evidence-intervals' },
      ...(intervals.length
        ? intervals.map((i) =>
            h(
              'li',
              { 'data-state': i.state },
              h('span', { class: `state-badge state-${i.state}` }, t(`state.${i.state}`)),
              ' ',
              `${formatDateTime(i.startTs, true)} – ${formatDateTime(i.endTs, true)} (${formatDuration(i.endTs - i.startTs)})`,
              h('div', { class: 'meta' }, reasonText(i.reason, i.params)),
            ),
          )
        : [h('li', { class: 'muted' }, t('kpi.evidence.noIntervals'))]),
    ),
    h('h4', {}, t('kpi.evidence.events')),
    h(
      'ul',
      { class: 'plain-list evidence-events' },
      ...((e.events ?? []).length
        ? e.events!.map((ev) => h('li', {}, `${formatDateTime(ev.ts, true)} · ${ev.type} · ${ev.severity}`))
        : [h('li', { class: 'muted' }, t('kpi.evidence.noEvents'))]),
    ),
  ];
}

/** A panel that follows evidence links, keeping the way back as a breadcrumb. */
export function evidencePanel(): { el: HTMLElement; show(label: string, link: string): void } {
  const el = h(
    'section',
    { class: 'panel kpi-evidence', 'aria-live': 'polite' },
    h('p', { class: 'muted' }, t('kpi.evidence.hint')),
  );
  let trail: Array<{ label: string; link: string }> = [];
  const render = async () => {
    const { link } = trail.at(-1)!;
    el.dataset.loaded = 'false';
    try {
      const e = await api.evidence<EvidenceView>(link);
      // The first step is named by what it covers (the commune, or a contractor), not by the KPI.
      if (trail.length === 1 && e.scope.kind === 'commune' && !link.includes('contract='))
        trail[0]!.label = e.scope.label;
      const crumbs = h(
        'nav',
        { class: 'breadcrumb', 'aria-label': t('kpi.evidence.trail') },
        ...trail.flatMap((c, i) => [
          i > 0 ? ' › ' : null,
          i < trail.length - 1
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'linklike',
                  onclick: () => {
                    trail = trail.slice(0, i + 1);
                    void render();
                  },
                },
                c.label,
              )
            : h('strong', {}, c.label),
        ]),
      );
      el.replaceChildren(
        h('h3', {}, t('kpi.evidence.title', { name: e.name })),
        crumbs,
        ...(e.scope.kind === 'device'
          ? [table({ ...e, children: [], withheld: [] }, () => {}), ...deviceDetail(e)]
          : [
              table(e, (label, l) => {
                trail.push({ label, link: l });
                void render();
              }),
            ]),
        h(
          'details',
          { class: 'evidence-rules' },
          h('summary', {}, t('kpi.rules')),
          h('ul', {}, ...e.rules.map((r) => h('li', {}, t(r)))),
        ),
      );
      el.dataset.scope = e.scope.kind;
      el.dataset.loaded = 'true';
    } catch (err) {
      el.replaceChildren(errorBox(err));
    }
  };
  return {
    el,
    show(label, link) {
      trail = [{ label, link }];
      void render();
      el.scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  };
}
