import { channel } from 'node:diagnostics_channel';
import type { RejectLog } from '../ingest/reject-log.ts';
import { errorText, StoreError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { Reading, Store } from '../store/store.ts';
import { InflowGate, type InflowGateStats } from './inflow-gate.ts';
import type { Spool, SpoolWork } from './spool.ts';

/**
 * Published once per batch the store confirmed (and the spool forgot): `{ work, direct? }`, one
 * SpoolWork per accepted message; direct: written without a spool row (direct-lane.ts). For
 * measurement (test/bench/service-probe.mjs) in a running service without wiring a callback
 * through startApp; with no subscriber it costs one property read per batch.
 * https://nodejs.org/api/diagnostics_channel.html
 */
export const durableChannel = channel('canhxa:ingest:durable');

/**
 * Batches sent to the store at once. Under load one event-loop turn can last hundreds of ms (every
 * socket's input is parsed in it) and an answer from the store is seen once per turn, so one batch
 * per round trip stored a fraction of what was accepted (measured: 7,000 of 17,000 msg/s once the
 * SQLite writes moved to their own thread). The SQLite writer thread takes them in order; InfluxDB
 * takes them as parallel requests.
 */
const BATCHES_IN_FLIGHT = 8;
/**
 * Acknowledgements (and with them the reading of the publishers' sockets) wait while the store is
 * healthy but this many batches behind, and go out once it is back under half of it (InflowGate).
 * Without it, input that outruns the store grows the backlog (and publish→stored latency) until
 * the spool is full; with it, the senders are slowed to what the store takes. A store outage never
 * holds anything: then the spool is what keeps taking messages. As many as the pipeline takes at
 * once: measured against twice and four times that, the same msg/s stored at saturation, with half
 * and a third of the publish→stored latency.
 */
const BACKLOG_HOLD_BATCHES = BATCHES_IN_FLIGHT;
/**
 * Past this backlog, with the store healthy, QoS 0 messages are refused (counted as `overload`)
 * instead of spooled. Holding completions stops a socket only after the read in hand: aedes parses
 * a whole read (up to 64 KiB, some 600 small messages) before it asks for the next, so a flood of
 * 400 QoS 0 senders brought 240,000 messages past a closed gate, and the event loop spent itself
 * spooling what the store could not take (61 % of the saturated rate stored, a 120,000-row spool).
 * QoS 0 promises at most once; the sender of a QoS 1 message is slowed instead (its PUBACK waits),
 * so nothing it sends is refused. Twice the hold mark: the gate acts first, this only bounds what
 * gets past it.
 */
const SHED_QOS0_BATCHES = BACKLOG_HOLD_BATCHES * 2;
/**
 * A healthy store that stored nothing for this long is stalled, not behind: the gate opens and the
 * spool takes what comes, as in an outage. Long enough that a busy machine's slow batch (seconds
 * under a flood, with a checkpoint) does not open it.
 */
const STALL_MS = 10_000;

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
  /** Acknowledgements held back since start because the store was behind (see admit()). */
  readonly heldAcks: number;
  /** Acknowledgements waiting right now for the store to catch up. */
  readonly holdingAcks: number;
  /** Times the pushback started since start, and times it gave up on a stalled store. */
  readonly pushbacks: number;
  readonly stallOpens: number;
  /** The most messages accepted and not yet stored at once since start. */
  readonly peakBacklog: number;
}

/**
 * Moves accepted work from the spool to the store in order, in batches (size or delay, whichever
 * first). A row leaves the spool only after the store confirmed it. A store outage leaves rows in
 * the spool and retries with backoff; a batch the store refuses as bad data is split until the
 * offending readings are found, and those are quarantined with the store's reason.
 */
export class BatchWriter {
  private memory: SpoolWork[] = [];
  /** Acknowledgements waiting for the store to catch up (see BACKLOG_HOLD_BATCHES). */
  private readonly gate: InflowGate;
  private readonly shedAt: number;
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
    private readonly opts: {
      maxSize: number;
      maxDelayMs: number;
      log: Logger;
      clock: () => number;
      onStored?: (minTs: number) => void;
      /** A batch was stored, or a drain ended: room may have come for parked messages (Ingest). */
      onRoom?: () => void;
    },
  ) {
    this.insertEvent = db.prepare(
      `INSERT OR IGNORE INTO device_events (commune_id, device_id, ts, received_ts, type, severity, detail)
       VALUES (@communeId, @deviceId, @ts, @receivedTs, @type, @severity, @detail)`,
    );
    const highWater = opts.maxSize * BACKLOG_HOLD_BATCHES;
    this.shedAt = opts.maxSize * SHED_QOS0_BATCHES;
    this.gate = new InflowGate({
      highWater,
      lowWater: Math.floor(highWater / 2),
      stallMs: STALL_MS,
      clock: opts.clock,
      onError: (err) => opts.log.error({ err }, 'acknowledgement failed'),
    });
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

  /**
   * Runs `ack` (the broker's acknowledgement of a spooled message, which also lets it read that
   * client's socket again) now, or, while the healthy store is more than BACKLOG_HOLD_BATCHES
   * batches behind, once it is back under half of that (InflowGate).
   */
  admit(ack: () => void): void {
    this.gate.admit(ack, this.backlog(), this.failures === 0 && !this.stopped);
  }

  /**
   * True while a QoS 0 message should be refused rather than taken (SHED_QOS0_BATCHES): the
   * healthy store is that far behind. Never during a store outage: then the spool takes everything.
   */
  shedsQos0(): boolean {
    return this.farBehind();
  }

  /**
   * True while a QoS 1 message should wait in memory unacknowledged (Ingest parks it, no PUBACK)
   * rather than join the spool: the same mark as shedsQos0. Past it the spool outgrows the rows it
   * keeps in memory and every batch is read back from its file, which is what starved the store
   * under a QoS 1 flood (one socket read per client gets some 600 messages past a closed gate).
   */
  parksQos1(): boolean {
    // Not once the gate gave up on a stalled store: the spool takes what comes then, as in an outage.
    return !this.gate.stalled && this.farBehind();
  }

  private farBehind(): boolean {
    // Counting what waits for its spool commit too: one socket read's messages are all taken in
    // one turn, before any of them is committed.
    return this.failures === 0 && !this.stopped && this.backlog() + this.spool.queued >= this.shedAt;
  }

  /**
   * True while the store keeps up: healthy, nothing in the spool or in memory for it, nothing on
   * its way to the spool. Then a message may skip the spool (direct-lane.ts).
   */
  keepingUp(): boolean {
    return this.failures === 0 && !this.stopped && this.backlog() === 0 && this.spool.queued === 0;
  }

  /**
   * A batch the direct lane wrote (its work, and the readings it gathered from that work): counted
   * as this writer's own, and told as its would be.
   */
  storedDirect(work: readonly SpoolWork[], readings: readonly Reading[]): void {
    this.counted(readings);
    if (durableChannel.hasSubscribers) durableChannel.publish({ work, direct: true });
    this.stats.batches += 1;
    this.stats.lastWriteTs = this.opts.clock();
  }

  /** The pushback gate's counts (held acknowledgements, closes, peak backlog). */
  inflow(): InflowGateStats {
    return this.gate.stats();
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
    await this.running.finally(() => this.drained());
  }

  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    // A retry the last drain armed (the store failed) is the next run's: the spool keeps the rows.
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.gate.open();
  }

  private pushback() {
    const g = this.gate.stats();
    return {
      heldAcks: g.held,
      holdingAcks: g.holding,
      pushbacks: g.closes,
      stallOpens: g.stallOpens,
      peakBacklog: g.peakBacklog,
    };
  }

  snapshot(): BatchWriterStats {
    return {
      kind: this.store.kind,
      ok: this.failures === 0,
      inMemory: this.memory.reduce((n, w) => n + w.readings.length, 0),
      ...this.stats,
      ...this.pushback(),
    };
  }

  /**
   * After every drain, however it was started (a kick or a flush): what is left is written at once,
   * or after a backoff when the store just failed. Nothing else would retry it if no new message
   * arrived.
   */
  private drained(): void {
    this.running = null;
    this.opts.onRoom?.();
    if (this.backlog() > 0)
      this.kick(this.failures > 0 ? Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7)) : 0);
  }

  /** Messages accepted and not yet in the store. */
  private backlog(): number {
    return this.spool.depth + this.memory.length;
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
      this.running = this.drain().finally(() => this.drained());
    }, delayMs);
  }

  /**
   * A pipeline: up to BATCHES_IN_FLIGHT batches are with the store at once; each is confirmed in
   * order (events written, spool rows forgotten) and its place taken by the next, so the store
   * always has the next batch when it finishes one. A failure stops the pipeline once what is out
   * has settled; nothing after the last confirmed batch leaves the spool, and rewrites are harmless.
   */
  private async drain(): Promise<void> {
    type Outcome = { ok: true } | { ok: false; err: unknown };
    const out: Array<{
      rows: Array<{ id: number }>;
      work: SpoolWork[];
      fromMemory: boolean;
      outcome: Promise<Outcome>;
    }> = [];
    let afterId = 0;
    const fill = () => {
      while (out.length < BATCHES_IN_FLIGHT) {
        const rows = this.spool.head(this.opts.maxSize, afterId);
        const fromMemory = rows.length === 0;
        const work = fromMemory ? this.memory.splice(0, this.opts.maxSize) : rows.map((r) => r.work);
        if (work.length === 0) return;
        if (!fromMemory) afterId = rows.at(-1)!.id;
        const outcome = this.writeOrQuarantine(work.flatMap((w) => w.readings)).then(
          (): Outcome => ({ ok: true }),
          (err): Outcome => ({ ok: false, err }),
        );
        out.push({ rows, work, fromMemory, outcome });
      }
    };
    fill();
    while (out.length > 0) {
      const batch = out[0]!;
      let result = await batch.outcome;
      if (result.ok) {
        try {
          this.writeEvents(batch.work);
        } catch (err) {
          result = { ok: false, err };
        }
      }
      if (!result.ok) {
        // Let what is out settle, then put memory-held work back in its order for the retry.
        await Promise.all(out.map((b) => b.outcome));
        this.memory.unshift(...out.filter((b) => b.fromMemory).flatMap((b) => b.work));
        this.failures += 1;
        this.gate.open();
        this.stats.lastError = errorText(result.err);
        this.opts.log.warn(
          { err: result.err, spoolDepth: this.spool.depth, failures: this.failures },
          'store write failed; will retry',
        );
        return;
      }
      out.shift();
      if (!batch.fromMemory) this.spool.ack(batch.rows.at(-1)!.id);
      this.gate.progress(this.backlog());
      this.opts.onRoom?.();
      if (durableChannel.hasSubscribers) durableChannel.publish({ work: batch.work });
      this.failures = 0;
      this.stats.batches += 1;
      this.stats.lastWriteTs = this.opts.clock();
      this.stats.lastError = null;
      fill();
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
      this.counted(readings);
    } catch (err) {
      const status = err instanceof StoreError ? err.upstreamStatus : undefined;
      if (status !== 400 && status !== 422) throw err;
      if (readings.length === 1) return this.quarantine(readings[0]!, err as StoreError);
      const mid = Math.ceil(readings.length / 2);
      await this.writeOrQuarantine(readings.slice(0, mid));
      await this.writeOrQuarantine(readings.slice(mid));
    }
  }

  /** Readings the store now holds: counted, and their earliest ts told (onStored). */
  private counted(readings: readonly Reading[]): void {
    this.stats.written += readings.length;
    if (this.opts.onStored && readings.length > 0) {
      let min = readings[0]!.ts;
      for (const r of readings) if (r.ts < min) min = r.ts;
      this.opts.onStored(min);
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
