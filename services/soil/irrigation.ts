import type { ApiDeps } from '../api/deps.ts';
import { IRRIGATION_EVENT } from '../protocol/events.ts';

/** How far back a plot's irrigation runs are listed, and how many at most. */
export const IRRIGATION_DAYS = 7;
export const IRRIGATION_SHOWN = 10;
/**
 * Irrigation events read per plot: a week of a controller reporting every run of a few minutes.
 * Read oldest first, so a plot past it would miss its newest runs; none is known to come near.
 */
const EVENTS_READ = 5000;
const DAY_MS = 86_400_000;

export interface IrrigationRun {
  readonly deviceId: string;
  /** When the water started (the event's `startedTs`, else its own time). */
  readonly startedTs: number;
  readonly durationMin: number | null;
  readonly volumeL: number | null;
}

/**
 * The irrigation runs reported from a farm site over the last IRRIGATION_DAYS, newest first: by
 * any of its devices (a controller, a soil node driving a valve), as `irrigation` events. Where
 * nothing on the plot reports irrigation the list is empty, and the page says nothing about it.
 */
export function irrigationRuns(
  deps: Pick<ApiDeps, 'directory' | 'readModel' | 'clock'>,
  communeId: string,
  siteId: string,
): IrrigationRun[] {
  const ids = [...deps.directory.all()]
    .filter((d) => d.communeId === communeId && d.siteId === siteId)
    .map((d) => d.id);
  const now = deps.clock();
  const events = deps.readModel.events(
    ids,
    { fromTs: now - IRRIGATION_DAYS * DAY_MS, toTs: now + 1 },
    EVENTS_READ,
    { types: [IRRIGATION_EVENT] },
  );
  return events
    .map((e) => {
      const d = (e.detail ?? {}) as Record<string, unknown>;
      const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);
      return {
        deviceId: e.deviceId,
        startedTs: num(d.startedTs) ?? e.ts,
        durationMin: num(d.durationMin),
        volumeL: num(d.volumeL),
      };
    })
    .sort((a, b) => b.startedTs - a.startedTs)
    .slice(0, IRRIGATION_SHOWN);
}
