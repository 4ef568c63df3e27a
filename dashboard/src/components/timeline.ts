/** A bar of the last 24 h coloured by state, plus the time spent in each state as text (not colour alone). */
import { formatDateTime, formatDuration, formatNumber, formatTime, reasonText, t } from '../i18n.ts';
import { type DeviceState, type HistoryInterval, STATES } from '../types.ts';
import { h } from './dom.ts';
import { stateBadge, stateText } from './state.ts';

const DAY_MS = 86_400_000;

export function timeline24h(history: readonly HistoryInterval[], now = Date.now()): HTMLElement {
  const from = now - DAY_MS;
  const totals = new Map<DeviceState, number>();
  const segs: HTMLElement[] = [];
  for (const iv of history) {
    const start = Math.max(iv.startTs, from);
    const end = Math.min(iv.endTs ?? now, now);
    if (end <= start) continue;
    totals.set(iv.state, (totals.get(iv.state) ?? 0) + (end - start));
    const title = `${stateText(iv.state)} · ${formatDateTime(start)} – ${iv.endTs === null ? t('history.ongoing') : formatDateTime(end)} · ${reasonText(iv.reason, iv.params)}`;
    segs.push(
      h('div', {
        class: `seg state-${iv.state}`,
        style: `left:${(((start - from) / DAY_MS) * 100).toFixed(3)}%;width:${(((end - start) / DAY_MS) * 100).toFixed(3)}%`,
        title,
        'data-state': iv.state,
      }),
    );
  }
  const ticks = [0, 6, 12, 18, 24].map((hrs) =>
    h(
      'span',
      { class: 'tick', style: `left:${(hrs / 24) * 100}%` },
      hrs === 24 ? t('timeline.now') : formatTime(from + hrs * 3_600_000),
    ),
  );
  const covered = [...totals.values()].reduce((a, b) => a + b, 0);
  const summary = STATES.filter((s) => totals.has(s)).map((s) =>
    h(
      'li',
      {},
      stateBadge(s, 'compact'),
      ' ',
      formatDuration(totals.get(s) ?? 0),
      h('span', { class: 'muted' }, ` (${formatNumber((100 * (totals.get(s) ?? 0)) / DAY_MS, 1)} %)`),
    ),
  );
  if (covered < DAY_MS - 60_000)
    summary.push(
      h(
        'li',
        { class: 'muted' },
        h('span', { class: 'nodata-swatch' }),
        ' ',
        t('timeline.noData'),
        ': ',
        formatDuration(DAY_MS - covered),
      ),
    );
  return h(
    'div',
    { class: 'timeline' },
    h('div', { class: 'timeline-bar', role: 'img', 'aria-label': t('timeline.label') }, segs),
    h('div', { class: 'timeline-axis' }, ticks),
    h('ul', { class: 'timeline-summary' }, summary),
  );
}
