import type { Db } from '../store/db.ts';

export interface OutboxRow {
  readonly id: number;
  readonly webhook: string;
  readonly event: string;
  readonly eventId: string;
  readonly body: string;
  readonly createdTs: number;
  readonly attempts: number;
  readonly nextAttemptTs: number;
}

export interface OutboxStats {
  readonly pending: number;
  /** Creation time of the oldest undelivered event: how far behind the receiver is. */
  readonly oldestPendingTs: number | null;
  /** Failed attempts on the events still pending. */
  readonly pendingAttempts: number;
  /** Delivered events still kept (see ioc.deliveredKeptHours). */
  readonly deliveredKept: number;
  readonly lastDeliveredTs: number | null;
  readonly lastError: string | null;
}

/**
 * The durable webhook outbox: an event is a row from the moment it exists until its receiver
 * answers 2xx. Rows are delivered in id order per webhook; a failure holds the ones behind it, so
 * a receiver sees each device's changes in order. Pending rows are never deleted.
 */
export class IocOutbox {
  private readonly insert;
  private readonly head;
  private readonly hasEvent;
  constructor(private readonly db: Db) {
    this.hasEvent = db.prepare('SELECT 1 FROM ioc_outbox WHERE webhook = ? AND event_id = ? LIMIT 1');
    this.insert = db.prepare(
      'INSERT INTO ioc_outbox (webhook, event, event_id, body, created_ts, next_attempt_ts) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.head = db.prepare(
      `SELECT id, webhook, event, event_id AS eventId, body, created_ts AS createdTs, attempts, next_attempt_ts AS nextAttemptTs
       FROM ioc_outbox WHERE webhook = ? AND delivered_ts IS NULL ORDER BY id LIMIT 1`,
    );
  }

  enqueue(webhook: string, event: string, eventId: string, body: string, now: number): void {
    this.insert.run(webhook, event, eventId, body, now, now);
  }

  /** Whether the webhook's outbox already holds an event with this id, delivered or not. */
  has(webhook: string, eventId: string): boolean {
    return this.hasEvent.get(webhook, eventId) !== undefined;
  }

  /** The oldest undelivered row of a webhook, due or not. */
  next(webhook: string): OutboxRow | undefined {
    return this.head.get(webhook) as OutboxRow | undefined;
  }

  delivered(id: number, now: number): void {
    this.db.prepare('UPDATE ioc_outbox SET delivered_ts = ?, last_error = NULL WHERE id = ?').run(now, id);
  }

  failed(id: number, nextAttemptTs: number, error: string): void {
    this.db
      .prepare(
        'UPDATE ioc_outbox SET attempts = attempts + 1, next_attempt_ts = ?, last_error = ? WHERE id = ?',
      )
      .run(nextAttemptTs, error.slice(0, 500), id);
  }

  /** Deletes delivered rows older than `beforeTs`; pending rows are never touched. */
  prune(beforeTs: number): number {
    return this.db
      .prepare('DELETE FROM ioc_outbox WHERE delivered_ts IS NOT NULL AND delivered_ts < ?')
      .run(beforeTs).changes;
  }

  stats(webhook: string): OutboxStats {
    const p = this.db
      .prepare(
        `SELECT COUNT(*) AS pending, MIN(created_ts) AS oldestPendingTs, COALESCE(SUM(attempts), 0) AS pendingAttempts
         FROM ioc_outbox WHERE webhook = ? AND delivered_ts IS NULL`,
      )
      .get(webhook) as { pending: number; oldestPendingTs: number | null; pendingAttempts: number };
    const d = this.db
      .prepare(
        'SELECT COUNT(*) AS n, MAX(delivered_ts) AS last FROM ioc_outbox WHERE webhook = ? AND delivered_ts IS NOT NULL',
      )
      .get(webhook) as { n: number; last: number | null };
    const e = this.db
      .prepare(
        'SELECT last_error AS err FROM ioc_outbox WHERE webhook = ? AND delivered_ts IS NULL AND last_error IS NOT NULL ORDER BY id LIMIT 1',
      )
      .get(webhook) as { err: string } | undefined;
    return { ...p, deliveredKept: d.n, lastDeliveredTs: d.last, lastError: e?.err ?? null };
  }
}
