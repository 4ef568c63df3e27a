import type { Db } from '../store/db.ts';
import type { Message } from './notifier.ts';

export interface NotifyRow {
  readonly id: number;
  readonly notifier: string;
  readonly alertId: number;
  readonly event: string;
  readonly username: string | null;
  readonly address: string;
  readonly message: Message;
  readonly createdTs: number;
  readonly attempts: number;
  readonly nextAttemptTs: number;
}

export interface NotifierHealth {
  readonly pending: number;
  readonly oldestPendingTs: number | null;
  readonly sent: number;
  readonly lastSentTs: number | null;
  /** Rows set aside after a permanent refusal (bad chat id, blocked bot): kept, never retried. */
  readonly dead: number;
  readonly lastError: string | null;
}

/**
 * The durable notification outbox (the IOC outbox's idea, for every notifier): a message is a row
 * from before the alert counts as sent until the provider's receipt is written next to it, so a
 * restart resends only what no provider confirmed. Rows of one notifier are sent in id order.
 */
export class NotifyOutbox {
  private readonly insert;
  private readonly head;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO notify_outbox (notifier, alert_id, event, username, address, message, created_ts, next_attempt_ts,
         held_until_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.head = db.prepare(
      `SELECT id, notifier, alert_id AS alertId, event, username, address, message, created_ts AS createdTs,
              attempts, next_attempt_ts AS nextAttemptTs
       FROM notify_outbox WHERE notifier = ? AND sent_ts IS NULL AND dead_ts IS NULL
         AND (held_until_ts IS NULL OR held_until_ts <= ?) ORDER BY id LIMIT 1`,
    );
  }

  /**
   * Call inside the transaction that changes the alert, so the two commit together. A row held
   * (quiet hours) waits in the table until `heldUntilTs`, not in memory, and holds up no other row.
   */
  enqueue(r: {
    notifier: string;
    alertId: number;
    event: string;
    username: string | null;
    address: string;
    message: Message;
    now: number;
    heldUntilTs?: number | null;
  }): void {
    this.insert.run(
      r.notifier,
      r.alertId,
      r.event,
      r.username,
      r.address,
      JSON.stringify(r.message),
      r.now,
      r.now,
      r.heldUntilTs ?? null,
    );
  }

  /** The first row of the notifier's lane not held past `now`. */
  next(notifier: string, now: number): NotifyRow | undefined {
    const r = this.head.get(notifier, now) as (Omit<NotifyRow, 'message'> & { message: string }) | undefined;
    return r && { ...r, message: JSON.parse(r.message) as Message };
  }

  sent(id: number, receipt: string, now: number): void {
    this.db
      .prepare('UPDATE notify_outbox SET sent_ts = ?, receipt = ?, last_error = NULL WHERE id = ?')
      .run(now, receipt.slice(0, 200), id);
  }

  failed(id: number, nextAttemptTs: number, error: string, dead: boolean, now: number): void {
    this.db
      .prepare(
        'UPDATE notify_outbox SET attempts = attempts + 1, next_attempt_ts = ?, last_error = ?, dead_ts = ? WHERE id = ?',
      )
      .run(nextAttemptTs, error.slice(0, 500), dead ? now : null, id);
  }

  /** Who was told about an alert (at least queued), for the recovery message. */
  told(alertId: number): Array<{ notifier: string; username: string | null; address: string }> {
    return this.db
      .prepare(
        `SELECT DISTINCT notifier, username, address FROM notify_outbox WHERE alert_id = ? AND event != 'resolve'`,
      )
      .all(alertId) as Array<{ notifier: string; username: string | null; address: string }>;
  }

  health(notifier: string): NotifierHealth {
    const p = this.db
      .prepare(
        `SELECT COUNT(*) AS pending, MIN(created_ts) AS oldestPendingTs FROM notify_outbox
         WHERE notifier = ? AND sent_ts IS NULL AND dead_ts IS NULL`,
      )
      .get(notifier) as { pending: number; oldestPendingTs: number | null };
    const s = this.db
      .prepare(
        `SELECT COUNT(sent_ts) AS sent, MAX(sent_ts) AS lastSentTs, COUNT(dead_ts) AS dead
         FROM notify_outbox WHERE notifier = ?`,
      )
      .get(notifier) as { sent: number; lastSentTs: number | null; dead: number };
    const e = this.db
      .prepare(
        `SELECT last_error AS err FROM notify_outbox WHERE notifier = ? AND last_error IS NOT NULL
         AND sent_ts IS NULL ORDER BY id DESC LIMIT 1`,
      )
      .get(notifier) as { err: string } | undefined;
    return { ...p, ...s, lastError: e?.err ?? null };
  }
}
