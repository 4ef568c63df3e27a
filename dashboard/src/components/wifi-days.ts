/**
 * Wi-Fi clients per day from an hourly series (GET /api/devices/:id/series?range=7d): the AP reports
 * how many are associated now, not how many came that day, so a day gets the peak (largest hourly
 * max) and the mean (hourly means weighted by their sample counts). Days are Vietnamese days
 * (Asia/Ho_Chi_Minh), whatever the viewer's clock says.
 */
import { TIME_ZONE } from '../i18n.ts';
import type { SeriesResponse } from '../types.ts';

export interface DayClients {
  /** YYYY-MM-DD in Asia/Ho_Chi_Minh. */
  readonly day: string;
  readonly peak: number;
  readonly mean: number;
}

const dayOf = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Oldest day first; days without a sample are absent. */
export function dailyClients(points: SeriesResponse['points']): DayClients[] {
  const days = new Map<string, { peak: number; sum: number; n: number }>();
  for (const p of points) {
    const key = dayOf.format(p.ts);
    const d = days.get(key) ?? { peak: 0, sum: 0, n: 0 };
    d.peak = Math.max(d.peak, p.max);
    d.sum += p.mean * p.count;
    d.n += p.count;
    days.set(key, d);
  }
  return [...days]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, d]) => ({ day, peak: d.peak, mean: d.n ? d.sum / d.n : 0 }));
}
