import type { Db } from '../store/db.ts';

/** Where a message was refused: at the broker (auth, ACL, size) or at ingest (topic, schema). */
export type RejectSource = 'broker' | 'ingest' | 'store';

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

/**
 * Counts every refusal per (source, reason, device) for ever and keeps the latest `kept` in full,
 * so a flood of garbage cannot fill the disk but is never invisible.
 */
export class RejectLog {
  private readonly db: Db;
  private readonly kept: number;
  private readonly insert;
  private readonly count;
  private sinceTrim = 0;
  private readonly clock: () => number;

  constructor(db: Db, opts: { kept: number; clock?: () => number }) {
    this.db = db;
    this.kept = opts.kept;
    this.clock = opts.clock ?? Date.now;
    this.insert = db.prepare(
      `INSERT INTO rejects (ts, source, reason, commune_id, device_id, client_id, topic, detail, payload)
       VALUES (@ts, @source, @reason, @communeId, @deviceId, @clientId, @topic, @detail, @payload)`,
    );
    this.count = db.prepare(
      `INSERT INTO reject_counts (source, reason, device_id, count, last_ts) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (source, reason, device_id) DO UPDATE SET count = count + 1, last_ts = excluded.last_ts`,
    );
  }

  record(r: Reject): void {
    const ts = this.clock();
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
    this.count.run(r.source, r.reason, r.deviceId ?? '', ts);
    if (++this.sinceTrim >= 500) this.trim();
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
    return this.db
      .prepare(
        'SELECT source, reason, device_id AS deviceId, count, last_ts AS lastTs FROM reject_counts ORDER BY count DESC',
      )
      .all() as Array<{ source: string; reason: string; deviceId: string; count: number; lastTs: number }>;
  }
}
