import Database from 'better-sqlite3';
import { StoreError } from '../../shared/errors.ts';
import type { Db } from '../db.ts';
import {
  BUCKET_MS,
  type IngestMarks,
  type MarkingStore,
  type PruneCounts,
  type PrunePolicy,
  type RangeQuery,
  type Reading,
  type RollupResolution,
  type RollupRow,
  wholeBuckets,
} from '../store.ts';
import { type Conn, openConn } from './run-steps.mjs';
import {
  CHECKPOINTER_PRAGMAS,
  type CheckpointPolicy,
  WalCheckpointer,
  WRITER_CHECKPOINT_PRAGMAS,
} from './wal-checkpointer.ts';
import { type StepResult, THREADS, type WriteFile, type WriteStep } from './write-thread.ts';

/** Rollup table per resolution; same key as `readings`, ts is the bucket start. */
const ROLLUP_TABLES: Readonly<Record<RollupResolution, string>> = {
  '1m': 'readings_1m',
  '1h': 'readings_1h',
};

/** Another process (an ingest worker) writing the same file makes the writer wait, not fail. */
const WRITER_BUSY_TIMEOUT_MS = 5000;

/**
 * The page size of a new readings file (a file's page size is fixed once it is in WAL mode). Half
 * as many page splits as 4 KiB, so fewer WAL frames a commit: at 2,000 msg/s the event loop's
 * pwrite calls fell from 4.3 to 2.9 a message and the checkpointer's copies by half (16 KiB: fewer
 * still, but the event loop's system time and p99 rose).
 */
const PAGE_BYTES = 8192;

/** Both writer connections of the readings file: the thread's and the event loop's. */
const WRITE_PRAGMAS = [
  `page_size = ${PAGE_BYTES}`,
  // WAL lets the API read while the writer thread writes; NORMAL sync survives a process crash.
  'journal_mode = WAL',
  'synchronous = NORMAL',
  ...WRITER_CHECKPOINT_PRAGMAS,
];

// The busy timeout first: switching a new file to WAL takes the lock another process may hold.
const WRITER_PRAGMAS = [
  `busy_timeout = ${WRITER_BUSY_TIMEOUT_MS}`,
  ...WRITE_PRAGMAS,
  // 64 MiB of page cache: the readings index is written all over, and a small cache turns each
  // batch into many page reads and writes (measured: 11.5k → 16k msg/s on a 1M-row table).
  'cache_size = -65536',
];

/**
 * The event loop's own writer connection (see writeHere): never waits for the write lock (the
 * writer thread then takes the batch), and a quarter of the thread's cache: its small batches touch
 * one leaf per device and the path to it (some 10 MB for a province's 2,000 devices), and the
 * service's memory stays bounded on a small server.
 */
const EVENT_LOOP_WRITER_PRAGMAS = ['busy_timeout = 0', ...WRITE_PRAGMAS, 'cache_size = -16384'];

/**
 * The most readings a batch may hold to be written on the event loop (writeHere). At 2,000 msg/s
 * the direct lane's 2 ms batches hold about 13, but bursts several times that: with 32, a tenth of
 * them went to the thread (some 20 µs a message more). Saturated, event-loop turns are long, the
 * batches outgrow this and go to the writer thread, whose B-tree work then runs beside the
 * parsing on the other core (saturated rate 14,843 msg/s, against 14,895 with 32).
 */
const EVENT_LOOP_MAX_READINGS = 128;

/** Rows a prune deletes per transaction, about (see pruneTable). */
const PRUNE_CHUNK_ROWS = 20_000;
const HOUR_MS = BUCKET_MS['1h'];

const INSERT_READING =
  'INSERT OR REPLACE INTO readings (commune_id, device_id, metric, ts, value) VALUES (?, ?, ?, ?, ?)';

/**
 * The readings' key puts ts before metric: a message's readings share its device and ts, so they
 * land on one leaf page, not one per metric. With (device, metric, ts) a commit of 4 messages
 * wrote some 13 leaves to the WAL, and the store's thread spent a third of its time on system
 * calls (#15; measured at 2,000 msg/s: its CPU 70 → 65 µs a message, the checkpointer's 11 → 8).
 * A file made before keeps its key: both orders answer every query here, by range scans.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS readings (
    commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
    value REAL NOT NULL, PRIMARY KEY (device_id, ts, metric, commune_id)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS readings_ts ON readings (ts);`,
  ...Object.values(ROLLUP_TABLES).map(
    (table) => `CREATE TABLE IF NOT EXISTS ${table} (
    commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
    min REAL NOT NULL, max REAL NOT NULL, mean REAL NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (device_id, metric, ts, commune_id)) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ${table}_ts ON ${table} (ts);`,
  ),
  // IngestMarks: the same two tables as the spool file's (spool-file.ts), for batches that skip it.
  `CREATE TABLE IF NOT EXISTS ingest_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL, received_ts INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS ingest_stamp_floor (id INTEGER PRIMARY KEY CHECK (id = 1), ts INTEGER NOT NULL);`,
];

const INSERT_KEY = 'INSERT INTO ingest_keys (key, received_ts) VALUES (?, ?)';
const RAISE_STAMP_FLOOR =
  'INSERT INTO ingest_stamp_floor (id, ts) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET ts = max(ts, excluded.ts)';

/**
 * One INSERT of a batch: a flat array of primitives for the structured clone to the thread, not an
 * object a reading.
 */
function readingsStep(readings: readonly Reading[]): WriteStep {
  const flat: unknown[] = new Array(readings.length * 5);
  let i = 0;
  for (const r of readings) {
    flat[i++] = r.communeId;
    flat[i++] = r.deviceId;
    flat[i++] = r.metric;
    flat[i++] = r.ts;
    flat[i++] = r.value;
  }
  return { sql: INSERT_READING, flat, width: 5 };
}

/**
 * The statement that computes the `res` rollups of the whole buckets in [fromTs, toTs) from the
 * raw readings, replacing what was there.
 */
export function rollupStep(res: RollupResolution, fromTs: number, toTs: number) {
  const size = BUCKET_MS[res];
  // SQLite's % keeps the dividend's sign; the double modulo floors pre-1970 ts too.
  return {
    sql: `INSERT OR REPLACE INTO ${ROLLUP_TABLES[res]} (commune_id, device_id, metric, ts, min, max, mean, count)
       SELECT commune_id, device_id, metric, ts - ((ts % ${size}) + ${size}) % ${size} AS bucket,
         MIN(value), MAX(value), AVG(value), COUNT(*)
       FROM readings WHERE ts >= ? AND ts < ? GROUP BY device_id, metric, bucket, commune_id`,
    params: [fromTs, toTs],
  };
}

export interface SqliteStoreOptions {
  /** The readings file: its own, beside the service's canhxa.sqlite, so the two never wait on each other's write lock. */
  readonly file: string;
  /**
   * The service's main database, where readings lived before they had a file of their own (up to
   * 0.1); at start its reading tables, if any, are moved into `file` once.
   */
  readonly legacyDb?: Db;
  /** Rows a prune deletes per transaction, about; PRUNE_CHUNK_ROWS when not told (tests tell less). */
  readonly pruneChunkRows?: number;
  /** When the WAL is checkpointed and restarted (WalCheckpointer's defaults when not told; tests tell less). */
  readonly checkpoint?: CheckpointPolicy;
}

/**
 * The embedded default: readings in a SQLite file of their own, one row per key, and their rollups
 * in readings_1m / readings_1h. Writes run on a writer thread (write-thread.ts): batches, rollups,
 * prune, WAL restarts, anything that may take long. The one exception is the direct lane's small
 * batch while that thread is idle, which the event loop commits itself (writeHere). The event
 * loop reads through a query-only connection.
 */
export class SqliteStore implements MarkingStore {
  readonly kind = 'sqlite';
  private readonly writer: WriteFile;
  private readonly checkpointer: WalCheckpointer;
  private reader: Db | null = null;
  /** The event loop's writer connection, opened with the first batch it takes (writeMarked). */
  private eventLoopWriter: Conn | null = null;
  private closed = false;
  /** Keys written since the table was last trimmed to IngestMarks.keep. */
  private keysSinceTrim = 0;

  constructor(private readonly opts: SqliteStoreOptions) {
    this.writer = THREADS.store.open(opts.file, WRITER_PRAGMAS);
    this.checkpointer = new WalCheckpointer(
      THREADS.checkpoint.open(opts.file, CHECKPOINTER_PRAGMAS),
      this.writer,
      WRITER_BUSY_TIMEOUT_MS,
      // A file made before with 4 KiB pages keeps them: its WAL is then cut back to four times the
      // restart bound instead of twice, still bounded.
      { pageBytes: PAGE_BYTES, ...opts.checkpoint },
    );
  }

  async start(): Promise<void> {
    await this.run(
      SCHEMA.map((sql) => ({ sql, script: true as const })),
      'create reading tables',
    );
    await this.moveLegacyReadings();
    const reader = new Database(this.opts.file);
    reader.pragma('busy_timeout = 5000');
    // The event loop never writes this file: the writer thread does.
    reader.pragma('query_only = ON');
    reader.pragma('cache_size = -16384');
    this.reader = reader;
  }

  async write(readings: readonly Reading[]): Promise<void> {
    this.assertOpen('write');
    if (readings.length === 0) return;
    await this.run([readingsStep(readings)], `write batch of ${readings.length}`);
  }

  async writeMarked(readings: readonly Reading[], marks: IngestMarks): Promise<void> {
    this.assertOpen('write');
    const steps: WriteStep[] = [];
    if (readings.length > 0) steps.push(readingsStep(readings));
    if (marks.keys.length > 0) {
      steps.push({ sql: INSERT_KEY, flat: marks.keys.flatMap((k) => [k.key, k.receivedTs]), width: 2 });
      this.keysSinceTrim += marks.keys.length;
      if (this.keysSinceTrim >= marks.keep) {
        this.keysSinceTrim = 0;
        steps.push({
          sql: 'DELETE FROM ingest_keys WHERE id <= (SELECT MAX(id) FROM ingest_keys) - ?',
          params: [marks.keep],
        });
      }
    }
    if (marks.stampTs > 0) steps.push({ sql: RAISE_STAMP_FLOOR, params: [marks.stampTs] });
    if (steps.length === 0) return;
    if (readings.length <= EVENT_LOOP_MAX_READINGS && this.writeHere(steps, readings.length)) return;
    await this.run(steps, `write marked batch of ${readings.length}`);
  }

  /**
   * Writes a small batch at once on the event loop's own connection, when the writer thread has
   * nothing of this file's in hand (so nothing is reordered) and checkpoints run beside it (#15).
   * At a province's rate (2,000 msg/s QoS 1, batches of about 4 messages) handing each batch to
   * the thread and its answer back cost more than the batch's own B-tree work: the two wake-ups,
   * the structured clones and the thread's turn were some 55 µs a message of the service's ≈ 245,
   * and the event loop's share grew by less than it saved. Returns false when another writer holds
   * the lock (the thread's WAL restart, an ingest worker process): the thread takes the batch then.
   */
  private writeHere(steps: readonly WriteStep[], readings: number): boolean {
    if (this.writer.outstanding > 0 || this.checkpointer.gaveUp) return false;
    try {
      this.eventLoopWriter ??= openConn(this.opts.file, EVENT_LOOP_WRITER_PRAGMAS);
      this.eventLoopWriter.inImmediateTransaction(steps);
    } catch (err) {
      if (String((err as { code?: unknown }).code).startsWith('SQLITE_BUSY')) return false;
      // Reopened by the next batch, as the thread does with a connection that failed.
      this.eventLoopWriter?.db.close();
      this.eventLoopWriter = null;
      throw new StoreError(`write marked batch of ${readings} on the event loop`, { cause: err });
    }
    this.checkpointer.nudge();
    return true;
  }

  readMarks(limit: number): { keys: string[]; stampTs: number } {
    return this.read('read marks', (db) => ({
      keys: db
        .prepare('SELECT key FROM (SELECT id, key FROM ingest_keys ORDER BY id DESC LIMIT ?) ORDER BY id')
        .pluck()
        .all(limit) as string[],
      stampTs: (db.prepare('SELECT ts FROM ingest_stamp_floor').pluck().get() as number | undefined) ?? 0,
    }));
  }

  async releaseMarks(keys: readonly string[] | 'all'): Promise<void> {
    this.assertOpen('release marks');
    if (keys !== 'all' && keys.length === 0) return;
    await this.run(
      [
        keys === 'all'
          ? { sql: 'DELETE FROM ingest_keys' }
          : // One pass over the table (no index on key: it would cost every insert).
            {
              sql: 'DELETE FROM ingest_keys WHERE key IN (SELECT value FROM json_each(?))',
              params: [JSON.stringify(keys)],
            },
      ],
      'release ingest keys',
    );
  }

  async query(range: RangeQuery): Promise<Reading[]> {
    const where = ['ts >= @fromTs', 'ts < @toTs'];
    if (range.communeId !== undefined) where.push('commune_id = @communeId');
    if (range.deviceId !== undefined) where.push('device_id = @deviceId');
    if (range.metric !== undefined) where.push('metric = @metric');
    return this.read(
      'query',
      (db) =>
        db
          .prepare(
            `SELECT commune_id AS communeId, device_id AS deviceId, metric, ts, value FROM readings
             WHERE ${where.join(' AND ')} ORDER BY ts, device_id, metric LIMIT @limit`,
          )
          .all({ ...range, limit: range.limit ?? 10_000 }) as Reading[],
    );
  }

  async latest(filter: { communeId?: string; deviceId?: string }): Promise<Reading[]> {
    const where: string[] = [];
    if (filter.communeId !== undefined) where.push('commune_id = @communeId');
    if (filter.deviceId !== undefined) where.push('device_id = @deviceId');
    return this.read(
      'latest',
      (db) =>
        db
          .prepare(
            `SELECT commune_id AS communeId, device_id AS deviceId, metric, MAX(ts) AS ts, value FROM readings
             ${where.length ? `WHERE ${where.join(' AND ')}` : ''} GROUP BY device_id, metric, commune_id
             ORDER BY device_id, metric`,
          )
          .all(filter) as Reading[],
    );
  }

  /**
   * One transaction per UTC hour that holds readings, oldest first, skipping the empty ones: the
   * nightly recompute of two days in one statement held the writer thread (and the ingest's store
   * batches behind it) for as long as it took. Pieces end on whole hours, so each 1-minute and
   * 1-hour bucket is computed whole, by one piece, as over the range at once.
   */
  async rollup(fromTs: number, toTs: number): Promise<void> {
    this.assertOpen('rollup');
    // A non-finite bound is the caller's bug: RangeError before anything runs.
    wholeBuckets(fromTs, toTs, '1h');
    for (let from = fromTs; from < toTs; ) {
      const at = from;
      const first = this.read(
        'rollup',
        (db) =>
          db.prepare('SELECT MIN(ts) FROM readings WHERE ts >= ? AND ts < ?').pluck().get(at, toTs) as
            | number
            | null,
      );
      if (first === null) return;
      const hour = Math.floor(first / HOUR_MS) * HOUR_MS;
      const start = Math.max(from, hour);
      const end = Math.min(toTs, hour + HOUR_MS);
      const steps = (['1m', '1h'] as const).flatMap((res) => {
        const { fromTs: a, toTs: b } = wholeBuckets(start, end, res);
        return a < b ? [rollupStep(res, a, b)] : [];
      });
      if (steps.length > 0) await this.run(steps, `rollup [${start}, ${end})`);
      from = end;
    }
  }

  async queryRollup(range: RangeQuery & { readonly resolution: RollupResolution }): Promise<RollupRow[]> {
    const table = ROLLUP_TABLES[range.resolution];
    if (table === undefined) throw new StoreError(`queryRollup: no resolution "${range.resolution}"`);
    const where = ['ts >= @fromTs', 'ts < @toTs'];
    if (range.communeId !== undefined) where.push('commune_id = @communeId');
    if (range.deviceId !== undefined) where.push('device_id = @deviceId');
    if (range.metric !== undefined) where.push('metric = @metric');
    const { fromTs, toTs, communeId, deviceId, metric } = range;
    return this.read(
      'queryRollup',
      (db) =>
        db
          .prepare(
            `SELECT commune_id AS communeId, device_id AS deviceId, metric, ts, min, max, mean, count FROM ${table}
             WHERE ${where.join(' AND ')} ORDER BY ts, device_id, metric, commune_id LIMIT @limit`,
          )
          .all({ fromTs, toTs, communeId, deviceId, metric, limit: range.limit ?? 10_000 }) as RollupRow[],
    );
  }

  async prune(policy: PrunePolicy): Promise<PruneCounts> {
    this.assertOpen('prune');
    const { communeId } = policy;
    return {
      raw: await this.pruneTable('readings', communeId, policy.rawBeforeTs),
      minute: await this.pruneTable(ROLLUP_TABLES['1m'], communeId, policy.minuteBeforeTs),
      hour: await this.pruneTable(ROLLUP_TABLES['1h'], communeId, policy.hourBeforeTs),
    };
  }

  /**
   * Deletes one commune's rows of `table` with ts < beforeTs, oldest first, in transactions of
   * about pruneChunkRows: a commune's expired day in one DELETE held the writer thread for seconds
   * on a large file, and the ingest's batches waited behind it until the pushback slowed every
   * device. A chunk ends on a whole UTC hour (the bounds are whole hours too), so a prune cut short
   * by a crash never leaves an hour half pruned for a later rollup to recompute from what is left.
   */
  private async pruneTable(table: string, communeId: string, beforeTs: number): Promise<number> {
    const chunk = this.opts.pruneChunkRows ?? PRUNE_CHUNK_ROWS;
    // The hour after the (chunk+1)-th oldest row, or beforeTs when fewer rows are left.
    const sql = `DELETE FROM ${table} WHERE commune_id = ? AND ts < MIN(?, COALESCE(
        (SELECT ts - ((ts % ${HOUR_MS}) + ${HOUR_MS}) % ${HOUR_MS} + ${HOUR_MS} FROM ${table}
         WHERE commune_id = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?), ?))`;
    let deleted = 0;
    for (;;) {
      const [n] = await this.run(
        [{ sql, params: [communeId, beforeTs, communeId, beforeTs, chunk, beforeTs] }],
        `prune ${table} of commune ${communeId}`,
      );
      deleted += Number(n ?? 0);
      // A chunk that found its (chunk+1)-th row deleted more than `chunk`; fewer means done.
      if (Number(n ?? 0) <= chunk) return deleted;
    }
  }

  /** Every write of this file: on the writer thread, then a checkpoint beside it if one is due. */
  private async run(
    steps: readonly WriteStep[],
    what: string,
    opts?: { transaction?: boolean },
  ): Promise<StepResult[]> {
    const changes = await this.writer.run(steps, what, opts);
    this.checkpointer.nudge();
    return changes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.checkpointer.close();
    this.eventLoopWriter?.db.close();
    this.eventLoopWriter = null;
    await this.writer.close();
    this.reader?.close();
    this.reader = null;
  }

  /**
   * Readings kept in the main database by earlier versions move here once, in one transaction
   * with their removal there; INSERT OR IGNORE makes a repeat after a crash harmless.
   */
  private async moveLegacyReadings(): Promise<void> {
    const legacy = this.opts.legacyDb;
    if (!legacy) return;
    const tables = legacy
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('readings', ${Object.values(
          ROLLUP_TABLES,
        )
          .map((t) => `'${t}'`)
          .join(', ')})`,
      )
      .pluck()
      .all() as string[];
    if (tables.length === 0) return;
    await this.run(
      [{ sql: 'ATTACH DATABASE ? AS legacy', params: [legacy.name] }],
      'attach the main database',
      {
        transaction: false,
      },
    );
    try {
      await this.run(
        tables.flatMap((t) => [
          { sql: `INSERT OR IGNORE INTO main.${t} SELECT * FROM legacy.${t}` },
          { sql: `DROP TABLE legacy.${t}` },
        ]),
        'move readings out of the main database',
      );
    } finally {
      await this.run([{ sql: 'DETACH DATABASE legacy' }], 'detach the main database', {
        transaction: false,
      });
    }
  }

  /**
   * A read on the event loop's connection. SQLite's own errors (an unreadable or damaged file)
   * become StoreErrors that say what was being read, as the Store contract says; callers and the
   * API handle those.
   */
  private read<T>(what: string, fn: (db: Db) => T): T {
    const db = this.db(what);
    try {
      return fn(db);
    } catch (err) {
      throw new StoreError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }

  private db(what: string): Db {
    if (this.closed || !this.reader)
      throw new StoreError(`${what} ${this.closed ? 'after close' : 'before start'}`);
    return this.reader;
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new StoreError(`${what} after close`);
  }
}
