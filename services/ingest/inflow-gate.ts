/**
 * Pushback under overload: the completion of an accepted message (the broker's PUBACK for QoS 1,
 * and for any QoS the next read from that client's socket) waits while the store is behind.
 *
 * Why holding a completion stops the input: aedes reads a client's socket again only once every
 * packet of its last read has been handled, and a PUBLISH is handled when our authorizePublish
 * callback runs (lib/client.js nextBatch). Unread, the socket's kernel buffers fill and TCP slows
 * the sender; the excess waits on the client, not in our memory, and nothing is dropped. An
 * external broker's shard session is slowed the same way through its held acknowledgements.
 *
 * Hysteresis: the gate closes at `highWater` messages accepted and not yet stored, and starts to
 * open only below `lowWater`, so the store always has whole batches in front of it while the
 * senders wait, and the event loop is not spent parsing input the store cannot take (before this,
 * one second after closing every hold was released whatever the backlog, and under a 50,000 msg/s
 * flood the spool grew to 72,000 rows while almost nothing was stored). It opens metered: each
 * batch stored releases, oldest first, as many held completions as the backlog is under its high
 * water, not all of them. In a flood each released client reads about as much again as it sent
 * last, so releasing 400 clients at once let 400 socket reads in at once (up to 64 KiB each).

 * What is already read when it closes is still taken: at most one socket read (64 KiB) per client.
 * New completions are held while any are waiting, so none overtakes the queue.
 * A store that fails is not "behind": the spool is what takes messages then, so the gate opens and
 * stays open. A store that stops answering without failing opens it after `stallMs` without
 * progress, for the same reason.
 */
export interface InflowGateOptions {
  /** Backlog (messages accepted, not stored) at which completions start to be held. */
  readonly highWater: number;
  /** Backlog under which held completions are released (metered: see progress()). */
  readonly lowWater: number;
  /** Without a batch stored for this long, the gate opens (the store is stalled, not behind). */
  readonly stallMs: number;
  readonly clock: () => number;
  /** Called with a completion that threw (the gate keeps releasing the others). */
  readonly onError: (err: unknown) => void;
}

export interface InflowGateStats {
  /** Completions held back since start. */
  readonly held: number;
  /** Completions waiting right now. */
  readonly holding: number;
  /** Times the gate closed since start. */
  readonly closes: number;
  /** Times it opened because the store made no progress for stallMs. */
  readonly stallOpens: number;
  /** The highest backlog seen at an admission since start. */
  readonly peakBacklog: number;
}

export class InflowGate {
  private waiting: Array<() => void> = [];
  private closed = false;
  private lastProgressTs = 0;
  private stallTimer: NodeJS.Timeout | null = null;
  private held = 0;
  private closes = 0;
  private stallOpens = 0;
  private peakBacklog = 0;
  /** Opened because the store stored nothing for stallMs, and nothing stored since. */
  private gaveUp = false;

  constructor(private readonly opts: InflowGateOptions) {
    if (!(opts.lowWater < opts.highWater)) throw new Error('inflow gate: lowWater must be under highWater');
  }

  /**
   * Runs `done` now, or holds it while the gate is closed. `backlog` is the messages accepted and
   * not yet stored, this one included; `storeHealthy` false (the store is failing) never holds.
   */
  admit(done: () => void, backlog: number, storeHealthy: boolean): void {
    if (backlog > this.peakBacklog) this.peakBacklog = backlog;
    if (!storeHealthy) {
      this.open();
      return done();
    }
    if (!this.closed) {
      if (backlog < this.opts.highWater) return done();
      this.closed = true;
      this.closes += 1;
      this.lastProgressTs = this.opts.clock();
      this.armStallCheck(this.opts.stallMs);
    }
    this.held += 1;
    this.waiting.push(done);
  }

  /**
   * The store took a batch; the backlog is now `backlog`. Below low water, releases the oldest
   * held completions, as many as the backlog is under high water; open again once none wait.
   */
  progress(backlog: number): void {
    this.gaveUp = false;
    if (!this.closed) return;
    this.lastProgressTs = this.opts.clock();
    if (backlog >= this.opts.lowWater) return;
    const n = Math.min(this.waiting.length, this.opts.highWater - backlog);
    // Nothing left to store: the store would idle while the queue waits.
    if (n === this.waiting.length || backlog === 0) return this.open();
    this.release(this.waiting.splice(0, n));
  }

  /** Releases every held completion, in the order they came (store failed, stalled, or stopping). */
  open(): void {
    this.closed = false;
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    if (this.waiting.length === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    this.release(waiting);
  }

  private release(completions: ReadonlyArray<() => void>): void {
    for (const done of completions) {
      try {
        done();
      } catch (err) {
        this.opts.onError(err);
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** True from a stall's opening until the store stores again: the spool takes what comes. */
  get stalled(): boolean {
    return this.gaveUp;
  }

  stats(): InflowGateStats {
    return {
      held: this.held,
      holding: this.waiting.length,
      closes: this.closes,
      stallOpens: this.stallOpens,
      peakBacklog: this.peakBacklog,
    };
  }

  /**
   * One timer while closed (not one per batch): when it fires, the gate opens if nothing was
   * stored for stallMs, or the timer is armed again for what is left of that span.
   */
  private armStallCheck(ms: number): void {
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null;
      if (!this.closed) return;
      const idle = this.opts.clock() - this.lastProgressTs;
      if (idle >= this.opts.stallMs) {
        this.stallOpens += 1;
        this.gaveUp = true;
        this.open();
      } else this.armStallCheck(this.opts.stallMs - idle);
    }, ms);
    this.stallTimer.unref();
  }
}
