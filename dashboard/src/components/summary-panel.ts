/**
 * The summary panel. Leaders and admins get the server's commune-wide counts by type
 * (GET /api/status/summary counts cameras too, without their detail); a province user gets a row
 * per commune and the rollup by type (cameras never); other roles see the counts of the devices
 * they list, which the live stream keeps current.
 */
import { api } from '../api.ts';
import { t } from '../i18n.ts';
import { app } from '../store.ts';
import type { StatusSummary } from '../types.ts';
import { h } from './dom.ts';
import { errorBox } from './errors.ts';
import { countsTable, rowsFromDevices, typeSummary } from './type-summary.ts';

/** One row per commune; its name is a button that narrows the device list to it. */
function communeTable(s: StatusSummary, onPick: (communeId: string) => void): HTMLElement {
  return countsTable(
    s.communes.map((c) => ({
      label: h(
        'button',
        {
          type: 'button',
          class: 'link-btn',
          'data-commune': c.communeId,
          onclick: () => onPick(c.communeId),
        },
        c.name,
      ),
      counts: c.counts,
      attrs: { 'data-commune': c.communeId },
    })),
    {
      tableClass: 'communes-table',
      caption: t('overview.byCommune'),
      firstColumn: t('overview.communeFilter'),
      totalLabel: t('overview.allCommunes'),
    },
  );
}

export function summaryPanel(opts: { onCommune?: (communeId: string) => void } = {}): {
  el: HTMLElement;
  refresh(): void;
  stop(): void;
} {
  const slot = h('div', {});
  const province = app.user?.role === 'province';
  const wide = province || app.user?.role === 'leader' || app.user?.role === 'admin';
  const el = h(
    'section',
    { class: 'panel summary-panel' },
    h('h2', {}, province ? t('overview.byCommune') : t('overview.byType')),
    wide
      ? h('p', { class: 'meta' }, province ? t('overview.summaryNoteProvince') : t('overview.summaryNote'))
      : null,
    slot,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const fetchSummary = async () => {
    try {
      const s = await api.summary();
      if (stopped) return;
      if (province) {
        const byType = s.rollup?.byType ?? {};
        slot.replaceChildren(
          communeTable(s, (id) => opts.onCommune?.(id)),
          h('h3', { class: 'summary-sub' }, t('overview.byType')),
          typeSummary(Object.entries(byType).map(([type, counts]) => ({ type, counts }))),
        );
        return;
      }
      const c = s.communes.find((x) => x.communeId === app.user?.communeId) ?? s.communes[0];
      slot.replaceChildren(
        typeSummary(Object.entries(c?.byType ?? {}).map(([type, counts]) => ({ type, counts }))),
      );
    } catch (err) {
      if (!stopped) slot.replaceChildren(errorBox(err));
    }
  };

  const refresh = () => {
    if (!wide) {
      slot.replaceChildren(typeSummary(rowsFromDevices([...app.devices.values()])));
      return;
    }
    // State changes come in bursts (an uplink takes its site down with it): fetch once per burst.
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void fetchSummary();
    }, 800);
  };
  if (wide) void fetchSummary();
  else refresh();
  return {
    el,
    refresh,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
