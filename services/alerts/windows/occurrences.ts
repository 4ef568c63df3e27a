/**
 * When maintenance windows hold and when quiet hours end (pure). Asia/Ho_Chi_Minh keeps UTC+7
 * all year (no DST since 1975), so a local day is a fixed 24 h slice of UTC and a wall-clock time
 * is a fixed offset into it.
 */
import type { QuietHours, WindowSchedule } from '../../../config/schema/quiet-windows.ts';

const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
export const VN_OFFSET_MS = 7 * 3_600_000;
/** getUTCDay() of a local day (0 = Sunday) → its name in a schedule. */
const WEEKDAY_OF = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface Occurrence {
  readonly startTs: number;
  readonly untilTs: number;
}

/** Epoch ms of local midnight starting the local day of `ts`. */
export function localDayStart(ts: number): number {
  return Math.floor((ts + VN_OFFSET_MS) / DAY_MS) * DAY_MS - VN_OFFSET_MS;
}

/** The local day of `ts` as YYYY-MM-DD. */
export function localDay(ts: number): string {
  return new Date(localDayStart(ts) + VN_OFFSET_MS).toISOString().slice(0, 10);
}

/** Minutes after local midnight of "HH:MM". */
export function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Occurrences that start before `toTs` and end after `fromTs`, in order. */
export function occurrences(s: WindowSchedule, fromTs: number, toTs: number): Occurrence[] {
  if (s.kind === 'once')
    return s.startTs < toTs && s.untilTs > fromTs ? [{ startTs: s.startTs, untilTs: s.untilTs }] : [];
  const out: Occurrence[] = [];
  // An occurrence that began up to its own length before fromTs still holds at fromTs.
  for (let day = localDayStart(fromTs - s.durationMin * MIN_MS); day < toTs; day += DAY_MS) {
    const name = WEEKDAY_OF[new Date(day + VN_OFFSET_MS).getUTCDay()]!;
    if (s.kind === 'weekly' && !s.days.includes(name)) continue;
    const startTs = day + minutesOf(s.at) * MIN_MS;
    const untilTs = startTs + s.durationMin * MIN_MS;
    if (startTs < toTs && untilTs > fromTs) out.push({ startTs, untilTs });
  }
  return out;
}

/** The occurrence holding at `now`, if any. */
export function activeAt(s: WindowSchedule, now: number): Occurrence | undefined {
  return occurrences(s, now, now + 1).find((o) => o.startTs <= now && now < o.untilTs);
}

/** The occurrence holding now, else the next one to start (within eight days); undefined when none. */
export function nextOccurrence(s: WindowSchedule, now: number): Occurrence | undefined {
  return occurrences(s, now, now + 8 * DAY_MS).find((o) => o.untilTs > now);
}

/**
 * When a notification queued at `now` may leave under these quiet hours: null at once (outside
 * them, or an exempt alert), otherwise the end of the quiet span it falls in.
 */
export function quietUntil(
  q: QuietHours | undefined,
  alert: { readonly severity: string; readonly deviceType: string },
  now: number,
): number | null {
  if (!q) return null;
  if (q.exemptSeverities.includes(alert.severity as never) || q.exemptDeviceTypes.includes(alert.deviceType))
    return null;
  const start = minutesOf(q.start);
  const end = minutesOf(q.end);
  if (start === end) return null;
  const day = localDayStart(now);
  const minute = (now - day) / MIN_MS;
  if (start < end) return minute >= start && minute < end ? day + end * MIN_MS : null;
  // Across midnight: the evening part ends tomorrow, the morning part today.
  if (minute >= start) return day + DAY_MS + end * MIN_MS;
  if (minute < end) return day + end * MIN_MS;
  return null;
}
