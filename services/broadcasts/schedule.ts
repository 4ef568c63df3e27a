import type { BroadcastConfig, Weekday } from '../../config/schema/commune.ts';
import type { Period } from '../read-model/read-model.ts';

/** Vietnam has kept UTC+7 without daylight saving since 1975: wall clock is UTC plus this. */
const VN_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;
const MIN_MS = 60_000;
/** Date.getUTCDay order (0 = Sunday). */
const BY_UTC_DAY: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** One airing of a scheduled broadcast in one commune. Times are epoch ms UTC. */
export interface Occurrence {
  readonly communeId: string;
  readonly broadcastId: string;
  readonly name: string;
  /** The scheduled start (`at` on that day, Asia/Ho_Chi_Minh). */
  readonly startTs: number;
  /** startTs + durationMin. */
  readonly endTs: number;
  /** A play that started before this (startTs + confirmWithinMin) confirms the occurrence. */
  readonly confirmByTs: number;
}

/**
 * Every occurrence of `broadcasts` whose scheduled start lies in [period.fromTs, period.toTs),
 * oldest first. Pure: the calendar is computed, never read from the clock.
 */
export function occurrences(
  communeId: string,
  broadcasts: readonly BroadcastConfig[],
  period: Period,
): Occurrence[] {
  const out: Occurrence[] = [];
  const firstDay = Math.floor((period.fromTs + VN_OFFSET_MS) / DAY_MS);
  const lastDay = Math.floor((period.toTs + VN_OFFSET_MS) / DAY_MS);
  for (let day = firstDay; day <= lastDay; day++) {
    const weekday = BY_UTC_DAY[new Date(day * DAY_MS).getUTCDay()]!;
    for (const b of broadcasts) {
      if (!b.days.includes(weekday)) continue;
      const [hh, mm] = b.at.split(':').map(Number) as [number, number];
      const startTs = day * DAY_MS + (hh * 60 + mm) * MIN_MS - VN_OFFSET_MS;
      if (startTs < period.fromTs || startTs >= period.toTs) continue;
      out.push({
        communeId,
        broadcastId: b.id,
        name: b.name,
        startTs,
        endTs: startTs + b.durationMin * MIN_MS,
        confirmByTs: startTs + b.confirmWithinMin * MIN_MS,
      });
    }
  }
  return out.sort((a, b) => a.startTs - b.startTs || a.broadcastId.localeCompare(b.broadcastId));
}
