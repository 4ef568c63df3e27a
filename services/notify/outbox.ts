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
  /** Rows of one group key and one recipient leave as one message (grouping by hamlet). */
  readonly groupKey: string | null;
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

const ROW = `id, notifier, alert_id AS alertId, event, username, address, message, created_ts AS createdTs,
  attempts, next_attempt_ts AS nextAttemptTs, group_key AS groupKey`;
type RawRow = Omit<NotifyRow, 'message'> & { message: string };
const parseRow = (r: RawRow): NotifyRow => ({ ...r, message: JSON.parse(r.message) as Message });

/**
 * The durable notification outbox (the IOC outbox's idea, for every notifier): a message is a row
 * from before the alert counts as sent until the provider's receipt is written next to it, so a
 * restart resends only what no provider confirmed. Rows of one notifier are sent in id order.
 */
export class NotifyOutbox {
  private readonly insert;
  private readonly head;
  private readonly openGroup;
  private readonly extendGroup;
  private readonly groupRows;
  constructor(private readonly db: Db) {
    // Per message of a storm: prepared once.
    this.openGroup = db.prepare(
      `SELECT group_key AS key, MAX(hold_until_ts) AS hold FROM notify_outbox WHERE notifier = ? AND address = ?
       AND group_key LIKE ? AND sent_ts IS NULL AND dead_ts IS NULL AND hold_until_ts >= ?
       GROUP BY group_key ORDER BY hold DESC LIMIT 1`,
    );
    this.extendGroup = db.prepare(
      `UPDATE notify_outbox SET hold_until_ts = ? WHERE notifier = ? AND address = ? AND group_key = ?
       AND sent_ts IS NULL AND dead_ts IS NULL`,
    );
    this.groupRows = db.prepare(
      `SELECT ${ROW} FROM notify_outbox WHERE notifier = ? AND address = ? AND group_key = ?
       AND sent_ts IS NULL AND dead_ts IS NULL AND (hold_until_ts IS NULL OR hold_until_ts <= ?)
       AND (held_until_ts IS NULL OR held_until_ts <= ?) ORDER BY id`,
    );
    this.insert = db.prepare(
      `INSERT INTO notify_outbox (notifier, alert_id, event, username, address, message, created_ts,
         next_attempt_ts, group_key, hold_until_ts, held_until_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // A row held for its group is passed over, so it holds no other message of the lane.
    this.head = db.prepare(
      `SELECT ${ROW} FROM notify_outbox WHERE notifier = ? AND sent_ts IS NULL AND dead_ts IS NULL
       AND (hold_until_ts IS NULL OR hold_until_ts <= ?) AND (held_until_ts IS NULL OR held_until_ts <= ?)
       ORDER BY id LIMIT 1`,
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
    /** Joins the recipient's rows of this key still waiting; all wait until the latest hold. */
    group?: { key: string; holdUntilTs: number };
    /** Quiet hours: not sent before then (null: at once). */
    heldUntilTs?: number | null;
  }): void {
    // A group is the rows still in their hold: one released (even if not yet sent, its lane
    // backed up) is closed, so a backlog never merges one outage's message with a later one's.
    let group: { key: string; hold: number } | null = null;
    if (r.group) {
      const open = this.openGroup.get(r.notifier, r.address, `${r.group.key}@%`, r.now) as
        | { key: string; hold: number }
        | undefined;
      group = open
        ? { key: open.key, hold: Math.max(open.hold, r.group.holdUntilTs) }
        : { key: `${r.group.key}@${r.now}`, hold: r.group.holdUntilTs };
      if (open && group.hold > open.hold) this.extendGroup.run(group.hold, r.notifier, r.address, group.key);
    }
    this.insert.run(
      r.notifier,
      r.alertId,
      r.event,
      r.username,
      r.address,
      JSON.stringify(r.message),
      r.now,
      r.now,
      group?.key ?? null,
      group?.hold ?? null,
      r.heldUntilTs ?? null,
    );
  }

  next(notifier: string, now = Number.MAX_SAFE_INTEGER): NotifyRow | undefined {
    const r = this.head.get(notifier, now, now) as RawRow | undefined;
    return r && parseRow(r);
  }

  /** The rows that leave with `row` as one message: its group's for the same recipient, released. */
  groupOf(row: NotifyRow, now: number): NotifyRow[] {
    if (row.groupKey === null) return [row];
    return (this.groupRows.all(row.notifier, row.address, row.groupKey, now, now) as RawRow[]).map(parseRow);
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
