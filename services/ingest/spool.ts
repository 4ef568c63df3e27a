import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '../shared/logger.ts';
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
}

/** At most this many rows wait for one group commit. */
const GROUP_MAX = 1000;
/**
 * At most this many spooled rows are also kept in memory for the store pump. A backlog beyond it
 * (the store is down) is read back from the file, as are rows a previous run left.
 */
const RECENT_MAX = 50_000;

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

/**
 * A durable queue of accepted messages, in its own SQLite file (WAL, synchronous=NORMAL: a row that
 * was inserted survives kill -9 of the process). Ingest appends before the broker acknowledges;
 * the store pump removes rows once the store holds them. Bounded: past maxBytes it refuses rows
 * (the caller keeps them in memory and raises the alarm) rather than filling the disk.
 */
export class Spool {
  private db: Database.Database | null = null;
  private insert: Database.Statement | null = null;
  private depthRows = 0;
  private usedBytes = 0;
  private sinceMeasure = 0;
  private lastError: string | null = null;
  private appendFailures = 0;
  private lastAlarmLogTs = 0;
  /** Rows waiting for the next group commit, with who to tell when it is done. */
  private pending: Array<{ entry: SpoolEntry; done: (durable: boolean) => void }> = [];
  private flushScheduled = false;
  /**
   * The newest rows' work as appended, oldest first, so the pump need not read back and parse
   * what was just written (it was ~5 % of the service's time). It holds every row in the file
   * exactly when its length equals depthRows: rows are only ever removed from the front, by ack().
   */
  private recent: Array<{ id: number; work: SpoolWork }> = [];

  constructor(
    private readonly file: string,
    private readonly opts: { maxBytes: number; alarmPct: number; log: Logger },
  ) {}

  /** Opens (or reopens) the file. A failure is recorded and reported by stats(), never thrown. */
  open(): boolean {
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const db = new Database(this.file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS spool (
        id INTEGER PRIMARY KEY, received_ts INTEGER NOT NULL, topic TEXT NOT NULL, client_id TEXT NOT NULL,
        payload BLOB NOT NULL, work TEXT NOT NULL)`);
      this.insert = db.prepare(
        'INSERT INTO spool (received_ts, topic, client_id, payload, work) VALUES (?, ?, ?, ?, ?)',
      );
      this.db = db;
      this.depthRows = (db.prepare('SELECT COUNT(*) FROM spool').pluck().get() as number) ?? 0;
      // What the file holds now is read from it; memory holds only what is appended from here.
      this.recent = [];
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
    this.pending.push({ entry, done });
    if (this.pending.length >= GROUP_MAX) this.flushPending();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPending());
    }
  }

  /** Appends one message now, in its own commit; returns false when it could not be made durable. */
  append(e: SpoolEntry): boolean {
    return this.commit([e]);
  }

  /** Commits every queued row; runs from setImmediate, from appendGrouped and before close(). */
  flushPending(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const ok = this.commit(batch.map((p) => p.entry));
    // Runs from setImmediate: a throwing callback must neither crash the process nor keep the
    // others in the group from being acknowledged.
    for (const p of batch) {
      try {
        p.done(ok);
      } catch (err) {
        this.opts.log.error({ err }, 'spool commit callback failed');
      }
    }
  }

  private commit(entries: readonly SpoolEntry[]): boolean {
    if (!this.db && !this.open()) return false;
    if (this.usedBytes >= this.opts.maxBytes) {
      this.fail('append', new Error(`spool is full (${this.usedBytes} of ${this.opts.maxBytes} bytes)`));
      return false;
    }
    try {
      const ids = this.db!.transaction(() =>
        entries.map((e) =>
          Number(
            this.insert!.run(e.receivedTs, e.topic, e.clientId, e.payload, JSON.stringify(e.work))
              .lastInsertRowid,
          ),
        ),
      )();
      entries.forEach((e, i) => {
        if (this.recent.length < RECENT_MAX) this.recent.push({ id: ids[i]!, work: e.work });
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

  /** The oldest rows after row `afterId` (0: from the start), in order, at most `limit`. */
  head(limit: number, afterId = 0): Array<{ id: number; work: SpoolWork }> {
    if (!this.db) return [];
    if (this.recent.length === this.depthRows) {
      let i = 0;
      if (afterId > 0) {
        // Ids ascend: binary search for the first row after afterId.
        let hi = this.recent.length;
        while (i < hi) {
          const mid = (i + hi) >>> 1;
          if (this.recent[mid]!.id <= afterId) i = mid + 1;
          else hi = mid;
        }
      }
      return this.recent.slice(i, i + limit);
    }
    const rows = this.db
      .prepare('SELECT id, work FROM spool WHERE id > ? ORDER BY id LIMIT ?')
      .all(afterId, limit) as Array<{
      id: number;
      work: string;
    }>;
    return rows.map((r) => ({ id: r.id, work: JSON.parse(r.work) as SpoolWork }));
  }

  /** Forgets every row up to and including `id`: the store holds them. */
  ack(id: number): void {
    if (!this.db) return;
    const n = this.db.prepare('DELETE FROM spool WHERE id <= ?').run(id).changes;
    this.depthRows = Math.max(0, this.depthRows - n);
    let k = 0;
    while (k < this.recent.length && this.recent[k]!.id <= id) k++;
    if (k > 0) this.recent.splice(0, k);
    if (this.depthRows === 0) this.measure();
  }

  /** Messages accepted and not yet confirmed by the store (stats().depth, without building the rest). */
  get depth(): number {
    return this.depthRows;
  }

  stats(): SpoolStats {
    const fillPct = Math.round((this.usedBytes / this.opts.maxBytes) * 1000) / 10;
    return {
      ok: this.db !== null && this.lastError === null,
      depth: this.depthRows,
      usedBytes: this.usedBytes,
      maxBytes: this.opts.maxBytes,
      fillPct,
      alarm: fillPct >= this.opts.alarmPct || this.lastError !== null,
      lastError: this.lastError,
      appendFailures: this.appendFailures,
    };
  }

  close(): void {
    this.flushPending();
    this.db?.close();
    this.db = null;
  }

  /** Pages in use (not free-listed) × page size: what the rows occupy, since SQLite reuses freed pages. */
  private measure(): void {
    this.sinceMeasure = 0;
    if (!this.db) return;
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    this.usedBytes = (pages - free) * (this.db.pragma('page_size', { simple: true }) as number);
    const pct = (this.usedBytes / this.opts.maxBytes) * 100;
    if (pct >= this.opts.alarmPct) this.alarmLog('spool nearly full', null);
  }

  private fail(what: string, err: unknown): void {
    this.appendFailures += 1;
    this.lastError = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    if (
      what === 'open' ||
      (err as { code?: string }).code === 'SQLITE_READONLY' ||
      (err as { code?: string }).code === 'SQLITE_CANTOPEN'
    ) {
      // A read-only or vanished file stays broken until reopened; the next append tries again.
      try {
        this.db?.close();
      } catch {
        // Closing a broken handle can fail too; the handle is dropped either way.
      }
      this.db = null;
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
