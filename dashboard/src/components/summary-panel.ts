/**
 * The by-type summary panel. Leaders and admins get the server's commune-wide counts
 * (GET /api/status/summary counts cameras too, without their detail); other roles see the
 * counts of the devices they list, which the live stream keeps current.
 */
import { api } from '../api.ts';
import { t } from '../i18n.ts';
import { app } from '../store.ts';
import { h } from './dom.ts';
import { errorBox } from './errors.ts';
import { rowsFromDevices, typeSummary } from './type-summary.ts';

export function summaryPanel(): { el: HTMLElement; refresh(): void; stop(): void } {
  const slot = h('div', {});
  const wide = app.user?.role === 'leader' || app.user?.role === 'admin';
  const el = h(
    'section',
    { class: 'panel summary-panel' },
    h('h2', {}, t('overview.byType')),
    wide ? h('p', { class: 'meta' }, t('overview.summaryNote')) : null,
    slot,
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const fetchSummary = async () => {
    try {
      const s = await api.summary();
      if (stopped) return;
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
