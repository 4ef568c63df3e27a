/**
 * One metric of one device over 24 h, 7 d, 30 d or a crop season (120 d) for the dashboard's chart,
 * from the store's rollups: 24 h at 1-minute buckets, the longer ranges at 1-hour buckets. The retention job rolls a
 * bucket up only a while after it ends (LAG_MS, and hours once per hour), so the part of the range
 * after the last rolled-up bucket is aggregated here from raw readings, the same way (epoch-aligned
 * buckets, min/max/mean/count): a device that started reporting a minute ago already has a point.
 * A hole *before* the newest rolled-up bucket (readings replayed late by a gateway, older than the
 * job's look-back) stays a hole until the job's daily recompute of the last two days fills it.
 */
import { z } from 'zod';
import { BUCKET_MS, type RollupResolution, type Store } from '../store/store.ts';

const DAY_MS = 86_400_000;

export const SERIES_RANGES = {
  '24h': { ms: DAY_MS, resolution: '1m' },
  '7d': { ms: 7 * DAY_MS, resolution: '1h' },
  '30d': { ms: 30 * DAY_MS, resolution: '1h' },
  // A crop season (a rice crop is 90–120 days from sowing to harvest): the farm pilot's long view.
  '120d': { ms: 120 * DAY_MS, resolution: '1h' },
} as const satisfies Record<string, { ms: number; resolution: RollupResolution }>;
export type SeriesRange = keyof typeof SERIES_RANGES;
export const SeriesRangeSchema = z.enum(Object.keys(SERIES_RANGES) as [SeriesRange, ...SeriesRange[]]);

export const SeriesPointSchema = z.object({
  /** Bucket start, epoch ms UTC. */
  ts: z.number(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  count: z.number().int(),
});
export type SeriesPoint = z.infer<typeof SeriesPointSchema>;

export const SeriesResponseSchema = z.object({
  /** null when the device has never sent telemetry and no metric was asked for. */
  metric: z.string().nullable(),
  resolution: z.enum(['1m', '1h']),
  points: z.array(SeriesPointSchema),
});

/** Raw readings read per store call, and at most in all for the not-yet-rolled-up tail. */
const RAW_PAGE = 10_000;
const RAW_MAX = 100_000;

export interface SeriesQuery {
  readonly communeId: string;
  readonly deviceId: string;
  readonly metric: string;
  readonly range: SeriesRange;
  /** Epoch ms; the range ends here (inclusive). */
  readonly now: number;
}

export async function readSeries(
  store: Pick<Store, 'query' | 'queryRollup'>,
  q: SeriesQuery,
): Promise<{ resolution: RollupResolution; points: SeriesPoint[] }> {
  const { ms, resolution } = SERIES_RANGES[q.range];
  const size = BUCKET_MS[resolution];
  const key = { communeId: q.communeId, deviceId: q.deviceId, metric: q.metric };
  const fromTs = Math.floor((q.now - ms) / size) * size;
  const toTs = q.now + 1;
  const rolled = await store.queryRollup({ ...key, resolution, fromTs, toTs });
  const points: SeriesPoint[] = rolled.map(({ ts, min, max, mean, count }) => ({
    ts,
    min,
    max,
    mean,
    count,
  }));
  const last = rolled.at(-1);
  const tailFrom = last ? last.ts + size : fromTs;
  return { resolution, points: points.concat(await rawBuckets(store, key, tailFrom, toTs, size)) };
}

/** Raw readings in [fromTs, toTs) grouped into buckets of `size` ms; pages through the store's limit. */
async function rawBuckets(
  store: Pick<Store, 'query'>,
  key: { communeId: string; deviceId: string; metric: string },
  fromTs: number,
  toTs: number,
  size: number,
): Promise<SeriesPoint[]> {
  const buckets = new Map<number, SeriesPoint>();
  let from = fromTs;
  for (let read = 0; from < toTs && read < RAW_MAX; ) {
    const rows = await store.query({ ...key, fromTs: from, toTs, limit: RAW_PAGE });
    for (const { ts, value } of rows) {
      const start = Math.floor(ts / size) * size;
      const b = buckets.get(start);
      if (!b) buckets.set(start, { ts: start, min: value, max: value, mean: value, count: 1 });
      else {
        b.min = Math.min(b.min, value);
        b.max = Math.max(b.max, value);
        b.mean += (value - b.mean) / ++b.count;
      }
    }
    read += rows.length;
    // One device and metric has one reading per ts (the store's key), so the next page starts after it.
    if (rows.length < RAW_PAGE) break;
    from = rows[rows.length - 1]!.ts + 1;
  }
  return [...buckets.values()];
}
