import type { Period } from '../read-model/read-model.ts';
import type { Db } from '../store/db.ts';

/**
 * A closed month's figures, kept so a report's 12-month trend does not count eleven past months
 * from their intervals again (npm run bench -- --only reports: the trend was half a monthly
 * report's time). A month's figures change only when its evidence or the settings do, so an
 * entry is found only under the same key: the settings hash, the engine's version and a cheap
 * stamp of the month's evidence (below). Verification never reads it: it counts every month from
 * the store, so a stale entry would show there as a trend difference.
 */
export interface TrendCache {
  /**
   * A stamp of the state intervals of `deviceIds` that overlap `month`: the one carried into it
   * per device, and the count, largest id and sum of starts of those starting in it. Closed
   * intervals are never edited (a change closes the open one and inserts the next), so late,
   * removed or replaced evidence changes the stamp.
   */
  stamp(deviceIds: readonly string[], month: Period): string;
  /** The month's figures (target id → value) stored under exactly `key`, or undefined. */
  get(
    communeId: string,
    monthFromTs: number,
    key: string,
  ): Readonly<Record<string, number | null>> | undefined;
  /** Stores the month's figures under `key`, replacing any older entry of that month. */
  put(
    communeId: string,
    monthFromTs: number,
    key: string,
    values: Readonly<Record<string, number | null>>,
  ): void;
}

/** Bump when an indicator's arithmetic changes: every entry then counts as missing. */
export const TREND_CACHE_VERSION = 1;

// Created here, not by a numbered migration: a cache can always be dropped and rebuilt.
const SCHEMA = `CREATE TABLE IF NOT EXISTS kpi_month_cache (
  commune_id TEXT NOT NULL, month_from_ts INTEGER NOT NULL, key TEXT NOT NULL, figures TEXT NOT NULL,
  PRIMARY KEY (commune_id, month_from_ts))`;

export class SqliteTrendCache implements TrendCache {
  private readonly carried;
  private readonly aggregate;
  private readonly read;
  private readonly write;

  constructor(db: Db) {
    db.exec(SCHEMA);
    // One statement per month for every device (json_each takes any number of ids): SQLite probes
    // the (device_id, start_ts) index per device in C, not one round trip from here per device.
    // The interval carried into the month is the last to start at or before its first instant.
    this.carried = db
      .prepare(
        `SELECT count(x), total(x) FROM (SELECT (SELECT id FROM state_intervals s
           WHERE s.device_id = j.value AND s.start_ts <= @fromTs ORDER BY s.start_ts DESC, s.id DESC LIMIT 1) AS x
         FROM json_each(@ids) j)`,
      )
      .raw();
    // Covered by the (device_id, start_ts) index (id is the rowid): no table row is read.
    this.aggregate = db
      .prepare(
        `SELECT count(*), ifnull(max(id), 0), total(start_ts) FROM state_intervals
         WHERE device_id IN (SELECT value FROM json_each(@ids)) AND start_ts > @fromTs AND start_ts < @toTs`,
      )
      .raw();
    this.read = db
      .prepare('SELECT figures FROM kpi_month_cache WHERE commune_id = ? AND month_from_ts = ? AND key = ?')
      .pluck();
    this.write = db.prepare(
      `INSERT INTO kpi_month_cache (commune_id, month_from_ts, key, figures) VALUES (?, ?, ?, ?)
       ON CONFLICT (commune_id, month_from_ts) DO UPDATE SET key = excluded.key, figures = excluded.figures`,
    );
  }

  stamp(deviceIds: readonly string[], month: Period): string {
    const args = { ids: JSON.stringify(deviceIds), fromTs: month.fromTs, toTs: month.toTs };
    const [carried, carriedSum] = this.carried.get(args) as [number, number];
    const [count, maxId, sumStart] = this.aggregate.get(args) as [number, number, number];
    return `${carried}:${carriedSum}:${count}:${maxId}:${sumStart}`;
  }

  get(communeId: string, monthFromTs: number, key: string) {
    const text = this.read.get(communeId, monthFromTs, key) as string | undefined;
    return text === undefined ? undefined : (JSON.parse(text) as Record<string, number | null>);
  }

  put(communeId: string, monthFromTs: number, key: string, values: Readonly<Record<string, number | null>>) {
    this.write.run(communeId, monthFromTs, key, JSON.stringify(values));
  }
}

const caches = new WeakMap<Db, TrendCache>();

/** The database's trend cache (one per connection: its statements are prepared once). */
export function trendCacheOf(db: Db): TrendCache {
  const known = caches.get(db);
  if (known) return known;
  const cache = new SqliteTrendCache(db);
  caches.set(db, cache);
  return cache;
}
