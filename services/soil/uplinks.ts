import type { CommuneFile } from '../../config/schema/commune.ts';
import { DeviceDirectory, type DeviceInfo } from '../inventory/device-directory.ts';
import type { SensorUplinks } from '../kpi/indicator.ts';
import { farmCompleteness } from '../kpi/indicators/farm-completeness.ts';
import type { Period } from '../read-model/read-model.ts';
import type { Store } from '../store/store.ts';
import { uplinkIntervalSec } from './plots.ts';

/** A sensor at a 5-min interval sends ~105,000 uplinks a year; read a page at a time. */
const PAGE = 20_000;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * From this instant on a commune's raw readings are surely still kept (`rawDays` before now, and
 * an hour's margin); before it only their 1-hour rollups are (RetentionJob rolls an hour up
 * before it prunes its raw readings, never the other way round).
 */
export function rawKeptFromTs(rawDays: number, clockTs: number): number {
  return (Math.floor((clockTs - rawDays * DAY_MS) / HOUR_MS) + 1) * HOUR_MS;
}

/** The sensors a commune's farm-completeness targets count (their `deviceType`, soil-sensor by default). */
export function farmSensors(c: CommuneFile): DeviceInfo[] {
  const types = new Set(
    c.kpiTargets
      .filter((t) => t.indicator === 'farm-completeness')
      .map((t) => farmCompleteness.configSchema.parse(t.params).deviceType),
  );
  if (types.size === 0) return [];
  return [...new DeviceDirectory({ communes: [c] }).all()].filter((d) => types.has(d.type.kind));
}

/**
 * The uplinks the farm-completeness figure counts, for a commune over `window` up to `nowTs`: raw
 * times from `rawFromTs` on (rawKeptFromTs), and before it the 1-hour rollups' counts, except in
 * an hour holding one of `cuts` off the hour (an on-demand period's edge), which is read raw
 * while it can be, so any period inside the window gets its own hours' counts. Undefined when no
 * target needs uplinks (the figures' evidence then stays what it was). Rejects with StoreError
 * like Store.query.
 */
export async function readFarmUplinks(
  store: Pick<Store, 'query' | 'queryRollup'>,
  c: CommuneFile,
  window: Period,
  nowTs: number,
  rawFromTs: number,
  cuts: readonly number[] = [],
): Promise<Map<string, SensorUplinks> | undefined> {
  const sensors = farmSensors(c);
  if (sensors.length === 0) return undefined;
  const endTs = Math.min(window.toTs, nowTs);
  const frontier = Math.min(Math.max(window.fromTs, Math.floor(rawFromTs / HOUR_MS) * HOUR_MS), endTs);
  const rawHours = new Set(
    [window.fromTs, endTs, ...cuts]
      .filter((x) => x % HOUR_MS !== 0)
      .map((x) => Math.floor(x / HOUR_MS) * HOUR_MS),
  );
  const rawRanges: Period[] = [
    ...[...rawHours]
      .filter((h) => h < frontier)
      .sort((a, b) => a - b)
      .map((h) => ({ fromTs: Math.max(h, window.fromTs), toTs: Math.min(h + HOUR_MS, frontier) })),
    { fromTs: frontier, toTs: endTs },
  ].filter((r) => r.toTs > r.fromTs);
  const out = new Map<string, SensorUplinks>();
  for (const d of sensors) {
    const q = { communeId: c.commune.id, deviceId: d.id, metric: 'heartbeat' };
    const hourly: Array<[number, number]> = [];
    for (let fromTs = Math.ceil(window.fromTs / HOUR_MS) * HOUR_MS; fromTs < frontier; ) {
      const page = await store.queryRollup({ ...q, resolution: '1h', fromTs, toTs: frontier, limit: PAGE });
      for (const r of page) if (!rawHours.has(r.ts)) hourly.push([r.ts, r.count]);
      if (page.length < PAGE) break;
      fromTs = page.at(-1)!.ts + 1;
    }
    const ts: number[] = [];
    for (const r of rawRanges) ts.push(...(await readTimes(store, q, r)));
    out.set(d.id, { intervalSec: uplinkIntervalSec(d), ts, hourly });
  }
  return out;
}

async function readTimes(
  store: Pick<Store, 'query'>,
  q: { communeId: string; deviceId: string; metric: string },
  range: Period,
): Promise<number[]> {
  const ts: number[] = [];
  for (let fromTs = range.fromTs; ; ) {
    const page = await store.query({ ...q, fromTs, toTs: range.toTs, limit: PAGE });
    for (const r of page) ts.push(r.ts);
    if (page.length < PAGE) return ts;
    fromTs = page.at(-1)!.ts + 1;
  }
}

/** The part of each sensor's uplinks inside `period` (whose edges are whole hours or read raw). */
export function uplinksIn(
  uplinks: ReadonlyMap<string, SensorUplinks> | undefined,
  period: Period,
): Map<string, SensorUplinks> | undefined {
  if (!uplinks) return undefined;
  const inside = (ts: number) => ts >= period.fromTs && ts < period.toTs;
  return new Map(
    [...uplinks].map(([id, u]) => [
      id,
      {
        intervalSec: u.intervalSec,
        ts: u.ts.filter(inside),
        hourly: (u.hourly ?? []).filter(([h]) => inside(h)),
      },
    ]),
  );
}
