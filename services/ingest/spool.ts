import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { THREADS, type WriteFile, type WriteStep } from '../store/embedded/write-thread.ts';
import type { Reading } from '../store/store.ts';

/** What one accepted message must still do once the store answers. */
export interface SpoolWork {
  readonly readings: readonly Reading[];
  readonly events: ReadonlyArray<{
    communeId: string;
    deviceId: string;
    ts: number;
    receivedTs: number;
    type: string;
    severity: string;
    detail: string | null;
  }>;
}

export interface SpoolEntry {
  readonly receivedTs: number;
  readonly topic: string;
  readonly clientId: string;
  readonly payload: Buffer;
  readonly work: SpoolWork;
  /**
   * The message's redelivery key (a QoS 1 message): committed with the row, so that after a crash
   * or a takeover a DUP redelivery of it is known for what it is (hasAccepted).
   */
  readonly key?: string | undefined;
}

/** At most this many rows wait for one group commit. */
const GROUP_MAX = 1000;
/**
 * At most this many spooled rows are also kept in memory for the store pump (about 0.8 KB each):
 * twice what a healthy store may fall behind before acknowledgements wait for it (BatchWriter's
 * BACKLOG_HOLD_BATCHES × the default batch). A longer backlog (the store is down) is read back
 * from the file, as are rows a previous run left.
 */
const RECENT_MAX = 32_000;
/**
 * Redelivery keys kept, in the file and in memory: a device or broker redelivers what was not
 * acknowledged, which is at most its in-flight window, seconds after it reconnects.
 */
const KEYS_KEPT = 4096;

export interface SpoolStats {
  readonly ok: boolean;
  /** Messages accepted and not yet confirmed by the store. */
  readonly depth: number;
  readonly usedBytes: number;
  readonly maxBytes: number;
  readonly fillPct: number;
  /** True from alarmPct on, and while the spool cannot be written at all. */
  readonly alarm: boolean;
  readonly lastError: string | null;
  readonly appendFailures: number;
}

const WRITER_PRAGMAS = [
  'busy_timeout = 5000',
  // WAL + NORMAL: a committed row survives kill -9 of the process; only an OS crash can lose the
  // last commits, and the checkpoints' fsync runs on the writer thread, not the event loop.
  'journal_mode = WAL',
  'synchronous = NORMAL',
];
/**
 * AUTOINCREMENT: an id is never used twice, even once the table is empty (plain rowids are). Acked
 * rows are removed by the writer thread a little later, and until then head() skips them by id: a
 * reused id would be skipped. And two processes may drain one shard's file across a takeover (a
 * stalled old holder waking up): the old holder's "delete up to id N" must not remove a row the new
 * holder has just appended.
 */
const CREATE_TABLE = `CREATE TABLE spool (
  id INTEGER PRIMARY KEY AUTOINCREMENT, received_ts INTEGER NOT NULL, topic TEXT NOT NULL,
  client_id TEXT NOT NULL, payload BLOB NOT NULL, work TEXT NOT NULL)`;
const INSERT = 'INSERT INTO spool (received_ts, topic, client_id, payload, work) VALUES (?, ?, ?, ?, ?)';

/** Creates the table, or moves the rows of one made before ids were AUTOINCREMENT into a new one. */
function createOrUpgrade(db: Database.Database): void {
  db.transaction(() => {
    const sql = db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'spool'")
      .pluck()
      .get() as string | undefined;
    db.exec(
      'CREATE TABLE IF NOT EXISTS accepted_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL, received_ts INTEGER NOT NULL)',
    );
    if (sql === undefined) db.exec(CREATE_TABLE);
    else if (!/AUTOINCREMENT/i.test(sql))
      db.exec(`ALTER TABLE spool RENAME TO spool_before_autoincrement; ${CREATE_TABLE};
        INSERT INTO spool SELECT * FROM spool_before_autoincrement; DROP TABLE spool_before_autoincrement;`);
  }).immediate();
}

/**
 * A durable queue of accepted messages, in its own SQLite file (WAL, synchronous=NORMAL: a row that
 * was committed survives kill -9 of the process). Ingest appends before the broker acknowledges;
 * the store pump removes rows once the store holds them. Bounded: past maxBytes it refuses rows
 * (the caller keeps them in memory and raises the alarm) rather than filling the disk.
 *
 * Writes (group commits, removals) run on the process's spool writer thread (write-thread.ts): the
 * inserts and their checkpoints were a fifth of the event loop's time under load. The event loop
 * keeps a query-only connection for what it reads: the depth at open and rows not held in memory.
 */
export class Spool {
  private reader: Database.Database | null = null;
  private writer: WriteFile | null = null;
  private depthRows = 0;
  /** Rows up to this id are acknowledged; their removal may still be on its way to the file. */
  private ackedUpTo = 0;
  private usedBytes = 0;
  private sinceMeasure = 0;
  private lastError: string | null = null;
  private appendFailures = 0;
  private lastAlarmLogTs = 0;
  /** Rows waiting for the next group commit, with who to tell when it is done. */
  private pending: Array<{ entry: SpoolEntry; done: (durable: boolean) => void }> = [];
  private flushScheduled = false;
  /** Settles once every group commit sent so far has been answered and its callers told. */
  private commits: Promise<unknown> = Promise.resolve();
  /** The last removal sent to the writer thread, until it is answered. */
  private removing: Promise<unknown> | null = null;
  /**
   * The newest rows' work as committed, oldest first, so the pump need not read back and parse
   * what was just written. It holds every unacknowledged row exactly when its length equals
   * depthRows: rows join it in commit order and leave it only from the front, by ack().
   */
  private recent: Array<{ id: number; work: SpoolWork }> = [];
  /** Keys of the last KEYS_KEPT QoS 1 messages made durable here or by an earlier run (oldest first). */
  private keys = new Set<string>();
  private keysSinceTrim = 0;

  constructor(
    private readonly file: string,
    private readonly opts: { maxBytes: number; alarmPct: number; log: Logger },
  ) {}

  /** Opens (or reopens) the file. A failure is recorded and reported by stats(), never thrown. */
  open(): boolean {
    if (this.writer && this.reader) return true;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const db = new Database(this.file);
      try {
        db.pragma('busy_timeout = 5000');
        db.pragma('journal_mode = WAL');
        createOrUpgrade(db);
        // From here on only the writer thread writes this file.
        db.pragma('query_only = ON');
        this.depthRows = (db.prepare('SELECT COUNT(*) FROM spool').pluck().get() as number) ?? 0;
        const keys = db
          .prepare('SELECT key FROM (SELECT id, key FROM accepted_keys ORDER BY id DESC LIMIT ?) ORDER BY id')
          .pluck()
          .all(KEYS_KEPT) as string[];
        this.keys = new Set(keys);
      } catch (err) {
        db.close();
        throw err;
      }
      this.reader = db;
      this.writer = THREADS.spool.open(this.file, WRITER_PRAGMAS);
      // What the file holds now is read from it; memory holds only what is committed from here.
      this.recent = [];
      this.ackedUpTo = 0;
      this.measure();
      this.lastError = null;
      return true;
    } catch (err) {
      this.fail('open', err);
      return false;
    }
  }

  /**
   * Queues one message for the next group commit (one transaction per event-loop turn, or every
   * GROUP_MAX rows) and calls `done(true)` once it is durable, `done(false)` when it could not be
   * made durable (full, read-only, gone). One commit for many messages is what makes acknowledging
   * only durable messages affordable: per-message commits were a third of the service's time.
   */
  appendGrouped(entry: SpoolEntry, done: (durable: boolean) => void): void {
    this.remember(entry.key);
    this.pending.push({ entry, done });
    if (this.pending.length >= GROUP_MAX) void this.flushPending();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => void this.flushPending());
    }
  }

  /** True if a message with this redelivery key was taken (here, or durably before a restart or takeover). */
  hasAccepted(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * Known from the moment it is taken, not from its commit: a DUP that arrives while the first copy
   * is still on its way to the file is the same message, and one whose commit fails is still
   * acknowledged (held in memory) and stored. Only the file's copy of the key waits for the commit.
   */
  private remember(key: string | undefined): void {
    if (key === undefined) return;
    this.keys.add(key);
    if (this.keys.size > KEYS_KEPT) this.keys.delete(this.keys.values().next().value!);
  }

  /**
   * Sends every queued row as one group commit; resolves once it and every earlier group have
   * been answered and their callers told. Runs from setImmediate, from appendGrouped, and before
   * a flush or close.
   */
  flushPending(): Promise<unknown> {
    this.flushScheduled = false;
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const told = this.commit(batch.map((p) => p.entry)).then((ok) => {
        // A throwing callback must neither crash the process nor keep the others in the group
        // from being acknowledged.
        for (const p of batch) {
          try {
            p.done(ok);
          } catch (err) {
            this.opts.log.error({ err }, 'spool commit callback failed');
          }
        }
      });
      this.commits = Promise.all([this.commits, told]);
    }
    return this.commits;
  }

  private async commit(entries: readonly SpoolEntry[]): Promise<boolean> {
    if (!this.writer && !this.open()) return false;
    // Full, but rows were just acknowledged: their removal may be what makes room.
    if (this.usedBytes >= this.opts.maxBytes && this.removing) await this.removing;
    if (!this.writer) return false;
    if (this.usedBytes >= this.opts.maxBytes) {
      this.fail('append', new Error(`spool is full (${this.usedBytes} of ${this.opts.maxBytes} bytes)`));
      return false;
    }
    try {
      const flat: unknown[] = new Array(entries.length * 5);
      // A payload is a view into the socket's read buffer (up to 64 KiB); cloning it to the thread
      // would copy that whole buffer. One compact copy of the group's payloads is cloned instead.
      const payloads = Buffer.concat(entries.map((e) => e.payload));
      let i = 0;
      let at = 0;
      for (const e of entries) {
        flat[i++] = e.receivedTs;
        flat[i++] = e.topic;
        flat[i++] = e.clientId;
        flat[i++] = payloads.subarray(at, at + e.payload.length);
        at += e.payload.length;
        flat[i++] = JSON.stringify(e.work);
      }
      const keyed = entries.filter((e) => e.key !== undefined);
      const steps: WriteStep[] = [{ sql: INSERT, flat, width: 5, ids: true }];
      if (keyed.length > 0) {
        steps.push({
          sql: 'INSERT INTO accepted_keys (key, received_ts) VALUES (?, ?)',
          flat: keyed.flatMap((e) => [e.key, e.receivedTs]),
          width: 2,
        });
        this.keysSinceTrim += keyed.length;
        if (this.keysSinceTrim >= KEYS_KEPT) {
          this.keysSinceTrim = 0;
          steps.push({
            sql: 'DELETE FROM accepted_keys WHERE id <= (SELECT MAX(id) FROM accepted_keys) - ?',
            params: [KEYS_KEPT],
          });
        }
      }
      const [ids] = (await this.writer!.run(steps, `spool append of ${entries.length}`)) as [number[]];
      entries.forEach((e, k) => {
        if (this.recent.length < RECENT_MAX) this.recent.push({ id: ids[k]!, work: e.work });
      });
      this.depthRows += entries.length;
      this.sinceMeasure += entries.length;
      if (this.sinceMeasure >= 200) this.measure();
      else for (const e of entries) this.usedBytes += e.payload.length + 64;
      if (this.lastError) this.lastError = null;
      return true;
    } catch (err) {
      this.fail('append', err);
      return false;
    }
  }

  /** The oldest unacknowledged rows after row `afterId` (0: from the start), in order, at most `limit`. */
  head(limit: number, afterId = 0): Array<{ id: number; work: SpoolWork }> {
    const from = Math.max(afterId, this.ackedUpTo);
    if (this.recent.length === this.depthRows) {
      // Ids ascend: binary search for the first row after `from`.
      let lo = 0;
      let hi = this.recent.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.recent[mid]!.id <= from) lo = mid + 1;
        else hi = mid;
      }
      return this.recent.slice(lo, lo + limit);
    }
    if (!this.reader) return [];
    const rows = this.reader
      .prepare('SELECT id, work FROM spool WHERE id > ? ORDER BY id LIMIT ?')
      .all(from, limit) as Array<{ id: number; work: string }>;
    return rows.map((r) => ({ id: r.id, work: JSON.parse(r.work) as SpoolWork }));
  }

  /** Forgets every row up to and including `id`: the store holds them. */
  ack(id: number): void {
    if (id <= this.ackedUpTo) return;
    const previous = this.ackedUpTo;
    this.ackedUpTo = id;
    const allInMemory = this.recent.length === this.depthRows;
    let k = 0;
    while (k < this.recent.length && this.recent[k]!.id <= id) k++;
    if (k > 0) this.recent.splice(0, k);
    // All in memory: the k rows just dropped are exactly the rows the DELETE removes. Otherwise
    // (a replay) the file says how many there are.
    const gone = allInMemory
      ? k
      : ((this.reader
          ?.prepare('SELECT COUNT(*) FROM spool WHERE id > ? AND id <= ?')
          .pluck()
          .get(previous, id) as number | undefined) ?? 0);
    this.depthRows = Math.max(0, this.depthRows - gone);
    if (!this.writer) return;
    const removing = this.writer
      .run([{ sql: 'DELETE FROM spool WHERE id <= ?', params: [id] }], 'spool removal')
      .then(
        () => {
          if (this.depthRows === 0 || this.usedBytes >= this.opts.maxBytes) this.measure();
        },
        // The rows stay in the file and are written again after a restart: rewrites are harmless.
        (err) => this.opts.log.warn({ err, file: this.file }, 'spool removal failed'),
      )
      .finally(() => {
        if (this.removing === removing) this.removing = null;
      });
    this.removing = removing;
  }

  /** Messages accepted and not yet confirmed by the store (stats().depth, without building the rest). */
  get depth(): number {
    return this.depthRows;
  }

  stats(): SpoolStats {
    const fillPct = Math.round((this.usedBytes / this.opts.maxBytes) * 1000) / 10;
    return {
      ok: this.writer !== null && this.lastError === null,
      depth: this.depthRows,
      usedBytes: this.usedBytes,
      maxBytes: this.opts.maxBytes,
      fillPct,
      alarm: fillPct >= this.opts.alarmPct || this.lastError !== null,
      lastError: this.lastError,
      appendFailures: this.appendFailures,
    };
  }

  /** Commits what is queued, waits for every write sent, then closes the file. */
  async close(): Promise<void> {
    await this.flushPending();
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
    this.reader?.close();
    this.reader = null;
  }

  /** Pages in use (not free-listed) × page size: what the rows occupy, since SQLite reuses freed pages. */
  private measure(): void {
    this.sinceMeasure = 0;
    if (!this.reader) return;
    const pages = this.reader.pragma('page_count', { simple: true }) as number;
    const free = this.reader.pragma('freelist_count', { simple: true }) as number;
    this.usedBytes = (pages - free) * (this.reader.pragma('page_size', { simple: true }) as number);
    const pct = (this.usedBytes / this.opts.maxBytes) * 100;
    if (pct >= this.opts.alarmPct) this.alarmLog('spool nearly full', null);
  }

  private fail(what: string, err: unknown): void {
    this.appendFailures += 1;
    // The writer thread's errors are StoreErrors whose cause carries SQLite's code.
    const cause = err instanceof StoreError && err.cause ? err.cause : err;
    this.lastError = `${what}: ${cause instanceof Error ? cause.message : String(cause)}`;
    const code = (cause as { code?: string }).code;
    if (what === 'open' || code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN') {
      // A read-only or vanished file stays broken until reopened; the next append tries again.
      void this.writer?.close();
      this.writer = null;
      try {
        this.reader?.close();
      } catch (closeErr) {
        // Closing a broken handle can fail too; the handle is dropped either way.
        this.opts.log.debug({ err: closeErr }, 'closing a broken spool handle failed');
      }
      this.reader = null;
    }
    this.alarmLog('spool cannot take messages; holding them in memory', err);
  }

  /** Error level (a person must act), at most once a minute so a flood does not flood the log. */
  private alarmLog(msg: string, err: unknown): void {
    const now = Date.now();
    if (now - this.lastAlarmLogTs < 60_000) return;
    this.lastAlarmLogTs = now;
    this.opts.log.error({ err, file: this.file, ...this.stats() }, msg);
  }
}
