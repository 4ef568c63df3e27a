import type Database from 'better-sqlite3';
import { StoreError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { THREADS, type WriteFile, type WriteStep } from '../store/embedded/write-thread.ts';
import type { Reading } from '../store/store.ts';
import { GroupCommit } from './spool/group-commit.ts';
import { RecentWork } from './spool/recent-work.ts';
import { RedeliveryKeys } from './spool/redelivery-keys.ts';
import {
  INSERT_ROW,
  INSERT_ROW_WIDTH,
  openSpoolReader,
  RAISE_STAMP_FLOOR,
  usedBytesOf,
  WRITER_PRAGMAS,
} from './spool/spool-file.ts';

/**
 * How long a removal waits for the next group commit to carry it before it goes alone: long enough
 * that a steady stream always brings one, short enough that an idle spool empties at once.
 */
export const REMOVAL_WAIT_MS = 50;

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
   * or a takeover a resend of it is known for what it is (isResend).
   */
  readonly key?: string | undefined;
  /** The connection it arrived on (InboundMessage.connection): a resend comes on a later one. */
  readonly connection?: number | undefined;
  /**
   * The receive stamp its work was given (a message without its own ts; ReceiveStamps): committed
   * with the row, so the next run or holder of this file stamps above it (stampFloor).
   */
  readonly stampTs?: number | undefined;
}

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

function removalStep(upToId: number): WriteStep {
  return { sql: 'DELETE FROM spool WHERE id <= ?', params: [upToId] };
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
  /** The last removal sent to the writer thread, until it is answered. */
  private removing: Promise<unknown> | null = null;
  /**
   * Rows up to this id are acknowledged and their removal not yet sent: it rides with the next
   * group commit, in the same transaction (see ack()), or goes alone after REMOVAL_WAIT_MS.
   */
  private removeUpTo = 0;
  private removalTimer: NodeJS.Timeout | null = null;
  private recent = new RecentWork<SpoolWork>();
  private readonly keys = new RedeliveryKeys();
  private readonly group: GroupCommit<SpoolEntry>;
  /** The stamp floor as the file said at open. */
  private floorTs = 0;

  constructor(
    private readonly file: string,
    private readonly opts: { maxBytes: number; alarmPct: number; log: Logger; gatherMs?: number },
  ) {
    this.group = new GroupCommit((entries) => this.commit(entries), opts.log, opts.gatherMs ?? 0);
  }

  /** Opens (or reopens) the file. A failure is recorded and reported by stats(), never thrown. */
  open(): boolean {
    if (this.writer && this.reader) return true;
    try {
      this.reader = openSpoolReader(this.file, (db) => {
        this.depthRows = (db.prepare('SELECT COUNT(*) FROM spool').pluck().get() as number) ?? 0;
        this.keys.load(db);
        this.floorTs = (db.prepare('SELECT ts FROM stamp_floor').pluck().get() as number | undefined) ?? 0;
      });
      this.writer = THREADS.spool.open(this.file, WRITER_PRAGMAS);
      // What the file holds now is read from it; memory holds only what is committed from here.
      // A removal not sent before the file closed is dropped with it: its rows are written again.
      this.recent.clear();
      this.ackedUpTo = 0;
      this.takeRemoval();
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
   * made durable (full, read-only, gone).
   */
  appendGrouped(entry: SpoolEntry, done: (durable: boolean) => void): void {
    this.keys.remember(entry.key, entry.connection);
    this.group.add(entry, done);
  }

  /**
   * Knows this QoS 1 message's key from now (see RedeliveryKeys.remember) without a spool row: it
   * went straight to the store, which commits the key with its readings (direct-lane.ts).
   */
  rememberKey(key: string | undefined, connection: number | undefined): void {
    this.keys.remember(key, connection);
  }

  /** The highest receive stamp committed to this file (by this run or an earlier one), 0 if none. */
  stampFloor(): number {
    return this.floorTs;
  }

  /**
   * True if the QoS 1 message with this key, arriving on `connection` (DUP or not), is a resend of
   * one taken here or made durable before a restart or takeover (spool/redelivery-keys.ts).
   */
  isResend(key: string, connection: number | undefined, dup: boolean): boolean {
    return this.keys.isResend(key, connection, dup);
  }

  /** Keys an earlier run committed elsewhere (the store's, direct-lane.ts): their resends are known too. */
  adoptKeys(keys: readonly string[]): void {
    this.keys.adopt(keys);
  }

  /**
   * Forgets the keys of a connection the client ended with DISCONNECT, or with 'all' every key (the
   * external broker lost the session: nothing of it can come again). In the file too, once the
   * group commits sent so far (which may hold some of those keys) are in. Returns the keys
   * forgotten, for the store's copy of those that skipped the spool.
   */
  releaseKeys(connection: number | 'all'): string[] {
    const gone = this.keys.release(connection);
    if (gone.length === 0) return gone;
    const step: WriteStep =
      connection === 'all'
        ? { sql: 'DELETE FROM accepted_keys' }
        : // One pass over the table (no index on key: it would cost every QoS 1 insert).
          {
            sql: 'DELETE FROM accepted_keys WHERE key IN (SELECT value FROM json_each(?))',
            params: [JSON.stringify(gone)],
          };
    void this.group.flush().then(() =>
      this.writer
        ?.run([step], 'spool key release')
        // Kept in the file, a key only risks taking one later message for a resend after a restart.
        .catch((err) => this.opts.log.warn({ err, file: this.file }, 'spool key release failed')),
    );
    return gone;
  }

  /**
   * Sends every queued row as one group commit; resolves once it and every earlier group have
   * been answered and their callers told. Runs from setImmediate, from appendGrouped, and before
   * a flush or close.
   */
  flushPending(): Promise<unknown> {
    return this.group.flush();
  }

  private async commit(entries: readonly SpoolEntry[]): Promise<boolean> {
    if (!this.writer && !this.open()) return false;
    // Full, but rows were just acknowledged: their removal may be what makes room.
    if (this.usedBytes >= this.opts.maxBytes && this.removeUpTo > 0) void this.sendRemoval();
    if (this.usedBytes >= this.opts.maxBytes && this.removing) await this.removing;
    if (!this.writer) return false;
    if (this.usedBytes >= this.opts.maxBytes) {
      this.fail('append', new Error(`spool is full (${this.usedBytes} of ${this.opts.maxBytes} bytes)`));
      return false;
    }
    let removeUpTo = 0;
    try {
      const flat: unknown[] = new Array(entries.length * INSERT_ROW_WIDTH);
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
      // The removal waiting for a commit goes first: its pages are freed for these rows, and a
      // store keeping up costs one transaction per group instead of two.
      removeUpTo = this.takeRemoval();
      const steps: WriteStep[] = [
        ...(removeUpTo > 0 ? [removalStep(removeUpTo)] : []),
        { sql: INSERT_ROW, flat, width: INSERT_ROW_WIDTH, ids: true },
        ...this.keys.commitSteps(entries),
      ];
      let stampTs = 0;
      for (const e of entries) if (e.stampTs !== undefined && e.stampTs > stampTs) stampTs = e.stampTs;
      if (stampTs > 0) steps.push({ sql: RAISE_STAMP_FLOOR, params: [stampTs] });
      const results = await this.writer!.run(steps, `spool append of ${entries.length}`);
      const ids = results[removeUpTo > 0 ? 1 : 0] as number[];
      for (let k = 0; k < entries.length; k++) this.recent.push(ids[k]!, entries[k]!.work);
      this.depthRows += entries.length;
      this.sinceMeasure += entries.length;
      if (this.sinceMeasure >= 200) this.measure();
      else for (const e of entries) this.usedBytes += e.payload.length + 64;
      if (this.lastError) this.lastError = null;
      return true;
    } catch (err) {
      // The removal it carried is still due: with the next commit, or alone.
      if (removeUpTo > this.removeUpTo) this.removeUpTo = removeUpTo;
      this.removalTimer ??= setTimeout(() => void this.sendRemoval(), REMOVAL_WAIT_MS).unref();
      this.fail('append', err);
      return false;
    }
  }

  /** The oldest unacknowledged rows after row `afterId` (0: from the start), in order, at most `limit`. */
  head(limit: number, afterId = 0): Array<{ id: number; work: SpoolWork }> {
    const from = Math.max(afterId, this.ackedUpTo);
    if (this.recent.length === this.depthRows) return this.recent.after(from, limit);
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
    const k = this.recent.dropUpTo(id);
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
    // Sent with the next group commit when one comes soon (a store keeping up: every turn brings
    // one), alone otherwise. A crash before it is sent only means the rows are written again.
    this.removeUpTo = id;
    this.removalTimer ??= setTimeout(() => void this.sendRemoval(), REMOVAL_WAIT_MS).unref();
  }

  /** The removal waiting to be sent (0: none), now taken by the caller. */
  private takeRemoval(): number {
    const id = this.removeUpTo;
    this.removeUpTo = 0;
    if (this.removalTimer) clearTimeout(this.removalTimer);
    this.removalTimer = null;
    return id;
  }

  /** Sends the waiting removal on its own; resolves once it is answered (or at once if none). */
  private sendRemoval(): Promise<unknown> {
    if (this.removalTimer) clearTimeout(this.removalTimer);
    this.removalTimer = null;
    // No writer (the file broke): kept until the reopen, which drops it (open()).
    if (this.removeUpTo === 0 || !this.writer) return this.removing ?? Promise.resolve();
    const id = this.takeRemoval();
    const removing = this.writer
      .run([removalStep(id)], 'spool removal')
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
    return removing;
  }

  /** Messages taken and not yet committed to the file (their group commit is queued or on its way). */
  get queued(): number {
    return this.group.queued;
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
    await this.sendRemoval();
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
    this.reader?.close();
    this.reader = null;
  }

  /** Measures what the rows occupy; raises the alarm from alarmPct on. */
  private measure(): void {
    this.sinceMeasure = 0;
    if (!this.reader) return;
    this.usedBytes = usedBytesOf(this.reader);
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
