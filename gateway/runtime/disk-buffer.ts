import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from './logger.ts';

export interface BufferedMessage {
  readonly id: number;
  readonly topic: string;
  readonly payload: string;
}

/**
 * Every message the gateway publishes, on disk until the broker acknowledges it (PUBACK), so
 * neither a broker outage nor a restart of the box loses a result; replayed in id order with the
 * payload (and so the timestamp) it was written with. Bounded: when full, a new message is refused,
 * counted and logged at error (STYLE.md §5) — the oldest are kept, since they hold the start of the
 * outage. Ids are AUTOINCREMENT so a removed id never comes back while a publish of it is pending.
 * WAL with synchronous=NORMAL survives a killed process (the power cut of a hamlet box may lose the
 * last commits, never corrupt the file).
 */
export class DiskBuffer {
  private readonly file: string;
  private readonly maxRows: number;
  private readonly log: Logger;
  private db: Database.Database | null = null;
  private rows = 0;
  private droppedCount = 0;
  private dropStreak = 0;
  private insert!: Database.Statement<[string, string, number]>;
  private remove_!: Database.Statement<[number]>;
  private after!: Database.Statement<[number, number], BufferedMessage>;

  constructor(opts: { file: string; maxRows: number; log: Logger }) {
    this.file = opts.file;
    this.maxRows = opts.maxRows;
    this.log = opts.log.child({ mod: 'gateway.buffer' });
  }

  open(): void {
    if (this.file !== ':memory:') mkdirSync(dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload TEXT NOT NULL, created_ts INTEGER NOT NULL)`);
    this.insert = db.prepare('INSERT INTO outbox (topic, payload, created_ts) VALUES (?, ?, ?)');
    this.remove_ = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.after = db.prepare('SELECT id, topic, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?');
    this.rows = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    this.db = db;
    if (this.rows > 0)
      this.log.info({ rows: this.rows }, 'buffered messages from an earlier run will be replayed');
  }

  /** Keeps one message; false when the buffer is full (the message is counted as dropped). */
  append(topic: string, payload: string, nowMs: number): boolean {
    if (this.rows >= this.maxRows) {
      this.droppedCount++;
      this.dropStreak++;
      // Once when the buffer fills up, then every 1,000 drops: a person must act (link, disk).
      if (this.dropStreak === 1 || this.dropStreak % 1000 === 0)
        this.log.error(
          { maxRows: this.maxRows, dropped: this.droppedCount, topic },
          'gateway buffer full; dropping results',
        );
      return false;
    }
    this.dropStreak = 0;
    this.insert.run(topic, payload, nowMs);
    this.rows++;
    return true;
  }

  /** Up to `limit` messages with an id above `afterId`, oldest first. */
  next(afterId: number, limit: number): BufferedMessage[] {
    return this.after.all(afterId, limit);
  }

  /** Forgets a message the broker acknowledged. */
  remove(id: number): void {
    // A PUBACK arriving after close(): the row is sent again next run; ingest is idempotent.
    if (!this.db) return;
    if (this.remove_.run(id).changes > 0) this.rows--;
  }

  get size(): number {
    return this.rows;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}
