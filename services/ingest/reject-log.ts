import { type Logger, rootLogger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';

/**
 * Where a message was refused: at the broker (auth, ACL, size), at ingest (topic, schema), by the
 * LoRaWAN decoder (a network server's event: unknown DevEUI, undecodable, duplicate frame), by
 * the store, or at the API (a gateway's snapshot upload: its credential, the camera it names).
 */
export type RejectSource = 'broker' | 'ingest' | 'lorawan' | 'store' | 'api';

export interface Reject {
  readonly source: RejectSource;
  /** Stable kebab-case reason code; the dashboard shows `reject.<reason>` from the catalogue. */
  readonly reason: string;
  readonly communeId?: string | undefined;
  readonly deviceId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly topic?: string | undefined;
  /** What exactly was wrong (schema path and message); never a password. */
  readonly detail?: string | undefined;
  /** The raw payload, so a quarantined message can be replayed (truncated to 4 KiB). */
  readonly payload?: Buffer | string | undefined;
}

const PAYLOAD_KEPT_BYTES = 4096;

export interface RejectRow {
  id: number;
  ts: number;
  source: RejectSource;
  reason: string;
  communeId: string | null;
  deviceId: string | null;
  clientId: string | null;
  topic: string | null;
  detail: string | null;
}

/** Told of every refusal after it is recorded or tallied; must not throw. */
export type RejectListener = (r: Reject) => void;

/** Counter increments held in memory at most this long, or this many, before one transaction. */
const COUNTS_FLUSH_MS = 1000;
const COUNTS_FLUSH_EVERY = 256;

/**
 * Counts every refusal per (source, reason, device) for ever and keeps the latest `kept` in full,
 * so a flood of garbage cannot fill the disk but is never invisible.
 *
 * Each row is written at once (it is the trace of a refused message); the counters are summed in
 * memory and written in one transaction a second (or every 256), which takes one of the two writes
 * per refusal off the broker's hot path. A kill -9 can lose that last second of counter increments,
 * never a row. counts() and stop() write them out first.
 */
export class RejectLog {
  private readonly db: Db;
  private readonly kept: number;
  private readonly insert;
  private readonly addCounts;
  private readonly flushCountsTx;
  private sinceTrim = 0;
  private readonly clock: () => number;
  private readonly pending = new Map<
    string,
    { source: string; reason: string; deviceId: string; n: number; lastTs: number }
  >();
  private pendingN = 0;
  private lastFlushTs = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<RejectListener>();
  private readonly log: Logger;

  constructor(db: Db, opts: { kept: number; clock?: () => number; log?: Logger }) {
    this.db = db;
    this.log = (opts.log ?? rootLogger).child({ mod: 'reject-log' });
    this.kept = opts.kept;
    this.clock = opts.clock ?? Date.now;
    this.insert = db.prepare(
      `INSERT INTO rejects (ts, source, reason, commune_id, device_id, client_id, topic, detail, payload)
       VALUES (@ts, @source, @reason, @communeId, @deviceId, @clientId, @topic, @detail, @payload)`,
    );
    this.addCounts = db.prepare(
      `INSERT INTO reject_counts (source, reason, device_id, count, last_ts) VALUES (@source, @reason, @deviceId, @n, @lastTs)
       ON CONFLICT (source, reason, device_id)
       DO UPDATE SET count = count + excluded.count, last_ts = max(last_ts, excluded.last_ts)`,
    );
    this.flushCountsTx = db.transaction(
      (rows: Array<{ source: string; reason: string; deviceId: string; n: number; lastTs: number }>) => {
        for (const row of rows) this.addCounts.run(row);
      },
    );
  }

  /** Writes the counters out every second, so the database (and other readers of it) lag at most that. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      try {
        this.flushCounts();
      } catch (err) {
        this.log.error({ err }, 'reject counters not written');
      }
    }, COUNTS_FLUSH_MS);
    this.timer.unref();
  }

  /** Writes out the counters held in memory; call before closing the database. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flushCounts();
  }

  /** Calls `fn` after every refusal (recorded or tallied). Returns the way to stop listening. */
  onRecord(fn: RejectListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Keeps the refusal in full (payload truncated) and counts it. */
  record(r: Reject): void {
    const ts = this.clock();
    try {
      const payload =
        r.payload === undefined
          ? null
          : (typeof r.payload === 'string' ? Buffer.from(r.payload) : r.payload)
              .subarray(0, PAYLOAD_KEPT_BYTES)
              .toString('utf8');
      this.insert.run({
        ts,
        source: r.source,
        reason: r.reason,
        communeId: r.communeId ?? null,
        deviceId: r.deviceId ?? null,
        clientId: r.clientId ?? null,
        topic: r.topic ?? null,
        detail: r.detail ?? null,
        payload,
      });
      this.count(r, ts);
      if (++this.sinceTrim >= 500) this.trim();
    } finally {
      // Even if the row could not be written, the listeners (the broker's budget) hear of it.
      this.emit(r);
    }
  }

  /**
   * Counts the refusal without a row: for repeats the caller has already recorded one of (a
   * client refused during its cool-down), so a flood cannot make the reject log its bottleneck.
   */
  tally(r: Reject): void {
    try {
      this.count(r, this.clock());
    } finally {
      this.emit(r);
    }
  }

  private count(r: Reject, ts: number): void {
    const deviceId = r.deviceId ?? '';
    const key = `${r.source}\u0000${r.reason}\u0000${deviceId}`;
    const c = this.pending.get(key);
    if (c) {
      c.n++;
      c.lastTs = Math.max(c.lastTs, ts);
    } else this.pending.set(key, { source: r.source, reason: r.reason, deviceId, n: 1, lastTs: ts });
    if (++this.pendingN >= COUNTS_FLUSH_EVERY || ts - this.lastFlushTs >= COUNTS_FLUSH_MS) this.flushCounts();
  }

  /** Throws if the database refuses; the increments then stay in memory for the next try. */
  private flushCounts(): void {
    this.lastFlushTs = this.clock();
    if (this.pendingN === 0) return;
    this.flushCountsTx([...this.pending.values()]);
    this.pending.clear();
    this.pendingN = 0;
  }

  private emit(r: Reject): void {
    for (const fn of this.listeners) fn(r);
  }

  private trim(): void {
    this.sinceTrim = 0;
    this.db.prepare('DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?').run(this.kept);
  }

  /** Newest first; `keep` filters before the limit is applied (bounded scan of 20× the limit). */
  latest(limit: number, keep: (row: RejectRow) => boolean = () => true): RejectRow[] {
    const rows = this.db
      .prepare(
        `SELECT id, ts, source, reason, commune_id AS communeId, device_id AS deviceId, client_id AS clientId,
                topic, detail FROM rejects ORDER BY id DESC LIMIT ?`,
      )
      .all(limit * 20) as RejectRow[];
    return rows.filter(keep).slice(0, limit);
  }

  counts(): Array<{ source: string; reason: string; deviceId: string; count: number; lastTs: number }> {
    this.flushCounts();
    return this.db
      .prepare(
        'SELECT source, reason, device_id AS deviceId, count, last_ts AS lastTs FROM reject_counts ORDER BY count DESC',
      )
      .all() as Array<{ source: string; reason: string; deviceId: string; count: number; lastTs: number }>;
  }
}
