/**
 * Relative + absolute time ("5 phút trước · 23/11/2026 14:05"). Relative texts are refreshed by one
 * shared ticker so an open page stays truthful without reloading.
 */
import { formatDateTime, formatDuration, formatRelative, t } from '../i18n.ts';
import { h } from './dom.ts';

export function relTime(ts: number | null, opts: { withAbsolute?: boolean } = {}): HTMLElement {
  if (ts === null || ts === undefined) return h('span', { class: 'time muted' }, t('time.never'));
  const abs = formatDateTime(ts);
  const rel = h(
    'time',
    { class: 'rel-time', datetime: new Date(ts).toISOString(), title: abs, 'data-ts': ts },
    formatRelative(ts),
  );
  if (!opts.withAbsolute) return rel;
  return h('span', { class: 'time' }, rel, h('span', { class: 'abs-time' }, abs));
}

/** "Từ 23/11/2026 14:05 (2 giờ 5 phút)": when a state began and how long it has lasted. */
export function since(ts: number): HTMLElement {
  const dur = h(
    'span',
    { class: 'dur-time', 'data-since': ts },
    formatDuration(Math.max(0, Date.now() - ts)),
  );
  return h('span', { class: 'since' }, t('device.sinceAt', { time: formatDateTime(ts) }), ' (', dur, ')');
}

let ticker: ReturnType<typeof setInterval> | undefined;

export function startRelativeTicker(everyMs = 15_000): void {
  clearInterval(ticker);
  ticker = setInterval(() => {
    const now = Date.now();
    for (const el of document.querySelectorAll<HTMLElement>('.rel-time[data-ts]')) {
      el.textContent = formatRelative(Number(el.dataset.ts), now);
    }
    for (const el of document.querySelectorAll<HTMLElement>('.dur-time[data-since]')) {
      el.textContent = formatDuration(Math.max(0, now - Number(el.dataset.since)));
    }
  }, everyMs);
}
