import { StoreError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import type { RangeQuery, Reading, Store } from '../store.ts';

/** The embedded default: readings in the service's own SQLite file, one row per key. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Db;
  private closed = false;

  constructor(db: Db) {
    this.db = db;
  }

  async start(): Promise<void> {
    this.db.exec(`CREATE TABLE IF NOT EXISTS readings (
      commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
      value REAL NOT NULL, PRIMARY KEY (device_id, metric, ts, commune_id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS readings_ts ON readings (ts);`);
  }

  async write(readings: readonly Reading[]): Promise<void> {
    if (this.closed) throw new StoreError('write after close');
    if (readings.length === 0) return;
    try {
      const stmt = this.db.prepare(
        'INSERT OR REPLACE INTO readings (commune_id, device_id, metric, ts, value) VALUES (?, ?, ?, ?, ?)',
      );
      this.db.transaction((rows: readonly Reading[]) => {
        for (const r of rows) stmt.run(r.communeId, r.deviceId, r.metric, r.ts, r.value);
      })(readings);
    } catch (cause) {
      throw new StoreError(`write batch of ${readings.length}`, { cause });
    }
  }

  async query(range: RangeQuery): Promise<Reading[]> {
    const where = ['ts >= @fromTs', 'ts < @toTs'];
    if (range.communeId !== undefined) where.push('commune_id = @communeId');
    if (range.deviceId !== undefined) where.push('device_id = @deviceId');
    if (range.metric !== undefined) where.push('metric = @metric');
    return this.db
      .prepare(
        `SELECT commune_id AS communeId, device_id AS deviceId, metric, ts, value FROM readings
         WHERE ${where.join(' AND ')} ORDER BY ts, device_id, metric LIMIT @limit`,
      )
      .all({ ...range, limit: range.limit ?? 10_000 }) as Reading[];
  }

  async latest(filter: { communeId?: string; deviceId?: string }): Promise<Reading[]> {
    const where: string[] = [];
    if (filter.communeId !== undefined) where.push('commune_id = @communeId');
    if (filter.deviceId !== undefined) where.push('device_id = @deviceId');
    return this.db
      .prepare(
        `SELECT commune_id AS communeId, device_id AS deviceId, metric, MAX(ts) AS ts, value FROM readings
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY device_id, metric, commune_id
         ORDER BY device_id, metric`,
      )
      .all(filter) as Reading[];
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
