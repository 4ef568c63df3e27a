import { channel } from 'node:diagnostics_channel';
import type { RejectLog } from '../ingest/reject-log.ts';
import { StoreError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { Reading, Store } from '../store/store.ts';
import type { Spool, SpoolWork } from './spool.ts';

/**
 * Published once per batch the store confirmed (and the spool forgot): `{ work }`, one SpoolWork
 * per accepted message. For measurement (test/bench/service-probe.mjs) in a running service without
 * wiring a callback through startApp; with no subscriber it costs one property read per batch.
 * https://nodejs.org/api/diagnostics_channel.html
 */
export const durableChannel = channel('canhxa:ingest:durable');

export interface BatchWriterStats {
  readonly kind: string;
  readonly ok: boolean;
  /** Readings held in memory because the spool could not take them (0 in normal running). */
  readonly inMemory: number;
  readonly written: number;
  readonly batches: number;
  readonly quarantined: number;
  readonly lastWriteTs: number | null;
  readonly lastError: string | null;
  /** Rows replayed from the spool since start (after a crash or a store outage). */
  readonly replayed: number;
}

/**
 * Moves accepted work from the spool to the store in order, in batches (size or delay, whichever
 * first). A row leaves the spool only after the store confirmed it. A store outage leaves rows in
 * the spool and retries with backoff; a batch the store refuses as bad data is split until the
 * offending readings are found, and those are quarantined with the store's reason.
 */
export class BatchWriter {
  private memory: SpoolWork[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerImmediate = false;
  private running: Promise<void> | null = null;
  private failures = 0;
  private sinceKick = 0;
  private stopped = false;
  private stats = {
    written: 0,
    batches: 0,
    quarantined: 0,
    replayed: 0,
    lastWriteTs: null as number | null,
    lastError: null as string | null,
  };
  private readonly insertEvent;

  constructor(
    private readonly store: Store,
    private readonly spool: Spool,
    private readonly db: Db,
    private readonly rejects: RejectLog,
    private readonly opts: { maxSize: number; maxDelayMs: number; log: Logger; clock: () => number },
  ) {
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO device_events (commune_id, device_id, ts, received_ts, type, severity, detail)
       VALUES (@communeId, @deviceId, @ts, @receivedTs, @type, @severity, @detail)`,
    );
  }

  /** Starts draining what a previous run left in the spool. */
  start(): void {
    const left = this.spool.stats().depth;
    if (left > 0) {
      this.opts.log.info({ rows: left }, 'replaying spool');
      this.stats.replayed = left;
      this.kick(0);
    }
  }

  /** Work the spool could not take: kept in memory (and the spool's alarm is raised). */
  holdInMemory(work: SpoolWork): void {
    this.memory.push(work);
    this.kick(0);
  }

  /** A row was appended to the spool: write soon. */
  notify(): void {
    this.kick(++this.sinceKick >= this.opts.maxSize ? 0 : this.opts.maxDelayMs);
  }

  /** Writes everything pending now; resolves when drained or when the store failed. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running) await this.running;
    this.running = this.drain();
    await this.running.finally(() => (this.running = null));
  }

  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
  }

  snapshot(): BatchWriterStats {
    return {
      kind: this.store.kind,
      ok: this.failures === 0,
      inMemory: this.memory.reduce((n, w) => n + w.readings.length, 0),
      ...this.stats,
    };
  }

  private kick(delayMs: number): void {
    if (this.stopped || this.running) return;
    // An armed timer already does what was asked unless it is a delayed one and now is asked for.
    // Re-arming an immediate one on every message starved the writer under overload: a 0 ms timer
    // fires only in a later turn of the event loop, and while every turn brings new messages each
    // replaced it before it was due, so nothing was stored until the input stopped.
    if (this.timer && (delayMs > 0 || this.timerImmediate)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerImmediate = delayMs === 0;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.sinceKick = 0;
      this.running = this.drain().finally(() => {
        this.running = null;
        const pending = this.spool.stats().depth > 0 || this.memory.length > 0;
        if (pending)
          this.kick(this.failures > 0 ? Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7)) : 0);
      });
    }, delayMs);
  }

  private async drain(): Promise<void> {
    for (;;) {
      const rows = this.spool.head(this.opts.maxSize);
      const fromMemory = rows.length === 0 ? this.memory.splice(0, this.opts.maxSize) : [];
      const work = rows.length > 0 ? rows.map((r) => r.work) : fromMemory;
      if (work.length === 0) return;
      try {
        await this.writeOrQuarantine(work.flatMap((w) => w.readings));
        this.writeEvents(work);
      } catch (err) {
        if (fromMemory.length > 0) this.memory.unshift(...fromMemory);
        this.failures += 1;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.opts.log.warn(
          { err, spoolDepth: this.spool.stats().depth, failures: this.failures },
          'store write failed; will retry',
        );
        return;
      }
      if (rows.length > 0) this.spool.ack(rows.at(-1)!.id);
      if (durableChannel.hasSubscribers) durableChannel.publish({ work });
      this.failures = 0;
      this.stats.batches += 1;
      this.stats.lastWriteTs = this.opts.clock();
      this.stats.lastError = null;
    }
  }

  /**
   * A refusal for bad data (HTTP 400/422 from a remote store) is not an outage: split the batch to
   * find the readings the store will not take, quarantine them, write the rest. Rewrites are safe:
   * writing the same key twice stores it once.
   */
  private async writeOrQuarantine(readings: readonly Reading[]): Promise<void> {
    if (readings.length === 0) return;
    try {
      await this.store.write(readings);
      this.stats.written += readings.length;
    } catch (err) {
      const status = err instanceof StoreError ? err.upstreamStatus : undefined;
      if (status !== 400 && status !== 422) throw err;
      if (readings.length === 1) return this.quarantine(readings[0]!, err as StoreError);
      const mid = Math.ceil(readings.length / 2);
      await this.writeOrQuarantine(readings.slice(0, mid));
      await this.writeOrQuarantine(readings.slice(mid));
    }
  }

  private quarantine(r: Reading, err: StoreError): void {
    this.stats.quarantined += 1;
    this.rejects.record({
      source: 'store',
      reason: 'store-refused',
      communeId: r.communeId,
      deviceId: r.deviceId,
      detail: (err.upstreamBody ?? err.message).slice(0, 1000),
      payload: JSON.stringify(r),
    });
    this.opts.log.warn({ deviceId: r.deviceId, metric: r.metric }, 'reading quarantined: store refused it');
  }

  private writeEvents(work: readonly SpoolWork[]): void {
    const events = work.flatMap((w) => w.events);
    if (events.length === 0) return;
    this.db.transaction(() => {
      for (const e of events) this.insertEvent.run(e);
    })();
  }
}
