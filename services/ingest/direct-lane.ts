import type { Logger } from '../shared/logger.ts';
import type { MarkingStore, Reading } from '../store/store.ts';
import { KEYS_KEPT } from './spool/redelivery-keys.ts';
import type { Spool, SpoolEntry, SpoolWork } from './spool.ts';

/** How a message ingest took was made durable: in the store, in the spool, or only in memory. */
export type Settled = 'stored' | 'spooled' | 'held';

/**
 * Store batches' worth of messages the lane may hold (gathering, or with the store) before the
 * spool takes what comes: as many as make the writer hold acknowledgements (BatchWriter). Past it
 * the store is not keeping up. A bound on batches instead (8 small ones) let one WAL checkpoint on
 * the store's thread send a tenth of a 2,000 msg/s run through the spool, and the lane stayed shut
 * while that drained: p99 publish → stored 200–300 ms instead of about 20.
 */
const LANE_HOLDS_BATCHES = 8;

/**
 * Past this share of a store batch waiting behind a write that is out, the store's thread is the
 * bottleneck and the spool takes what comes (and, until it has drained, everything): through the
 * spool, its own thread does the inserts beside the store's. Saturated, the lane alone stored a
 * fifth less (QoS 1 closed loop 10,400 msg/s against 12,800).
 */
const SATURATED_SHARE = 1 / 8;

/**
 * The longest a message waits in the lane for others to share its batch (and so its PUBACK, which
 * follows the batch's commit), whatever ingest.batchMaxDelayMs says: a larger batch delay is for
 * the spool's drain. With 200 ms, devices that resend a backlog one PUBACK at a time after a
 * reconnect (mqtt.js does) crawled at a few messages a second each. At 2,000 msg/s, 2 ms against
 * 5 (and 3) took publish → stored p99 from 11–14 ms to 9–10 for about 5 % more CPU a message: the
 * commits it adds are cheap since checkpoints left the writer's thread (WalCheckpointer).
 */
export const LANE_MAX_DELAY_MS = 2;

export interface DirectLaneStats {
  /** Messages and batches stored without a spool row. */
  readonly messages: number;
  readonly batches: number;
  /** Messages whose direct write failed and which went through the spool instead. */
  readonly spooledAfterFailure: number;
}

/**
 * While the store keeps up, a message's readings go straight to it and its acknowledgement waits
 * for that commit, instead of a spool row committed first and deleted once the store has it. At a
 * province's rate (2,000 msg/s QoS 1) the spool's round trips were some 40 % of the service's
 * CPU (#15). Nothing is acknowledged before it is durable somewhere, so this loses nothing the spool
 * would keep:
 * - the batch's redelivery keys and its highest receive stamp commit in the same transaction as its
 *   readings (MarkingStore), so after a crash a resend is still known and stamps stay above;
 * - a write that fails sends its messages to the spool, in order, with their keys and stamps, and
 *   they are acknowledged once it has them, as if they had gone there first;
 * - only messages with readings alone take it: device events are written to the service database
 *   from the spool, where a replay after a crash finds them.
 * The spool stays what carries a store outage, a backlog, a saturated store and a replay: the lane
 * is open only while the spool is empty, the store healthy (`keepingUp`) and its thread not the
 * bottleneck (SATURATED_SHARE).
 */
export class DirectLane {
  private pending: Array<{ entry: SpoolEntry; settle: (how: Settled) => void }> = [];
  /**
   * One timer for the lane's life, re-armed with refresh(), and left to fire when a batch went
   * early (it then sends what gathered since, sooner than the delay): a new Timeout a batch and the
   * clearTimeout of one that had fired were 3 µs a message at 2,000 msg/s (#15).
   */
  private timer: NodeJS.Timeout | null = null;
  private armed = false;
  /** Writes with the store and not yet answered (their fallbacks included), and their messages. */
  private readonly out = new Set<Promise<void>>();
  private outMessages = 0;
  private readonly counts = { messages: 0, batches: 0, spooledAfterFailure: 0 };

  constructor(
    private readonly store: MarkingStore,
    private readonly spool: Spool,
    private readonly opts: {
      readonly maxSize: number;
      readonly maxDelayMs: number;
      readonly log: Logger;
      /** True while the spool is empty and the store healthy (BatchWriter.keepingUp). */
      readonly keepingUp: () => boolean;
      /** A batch is in the store: its work and readings, for the writer's figures and listeners. */
      readonly stored: (work: readonly SpoolWork[], readings: readonly Reading[]) => void;
    },
  ) {}

  /**
   * What an earlier run committed with its direct batches: its keys join the spool's (a resend of
   * one is known) and its stamp floor is returned (ReceiveStamps start above it).
   */
  adoptMarks(): number {
    const marks = this.store.readMarks(KEYS_KEPT);
    this.spool.adoptKeys(marks.keys);
    return marks.stampTs;
  }

  /** True if a message with this work may skip the spool now. */
  takes(work: SpoolWork): boolean {
    return (
      work.events.length === 0 &&
      this.pending.length + this.outMessages < this.opts.maxSize * LANE_HOLDS_BATCHES &&
      (this.out.size === 0 || this.pending.length < this.opts.maxSize * SATURATED_SHARE) &&
      this.opts.keepingUp()
    );
  }

  /** Queues one message for the next batch; `settle` runs once it is durable (see Settled). */
  add(entry: SpoolEntry, settle: (how: Settled) => void): void {
    this.pending.push({ entry, settle });
    if (this.pending.length >= this.opts.maxSize) this.send();
    // While a write is out, what comes waits for its answer and then goes at once, together (a
    // group commit): batches grow with the load instead of one per gathering delay. Small batches
    // kept coming at saturation and the store's thread spent itself on their transactions (QoS 1
    // closed loop 9,400 msg/s stored against 12,800 through the spool).
    else if (this.out.size === 0 && !this.armed) {
      this.armed = true;
      if (this.timer) this.timer.refresh();
      else this.timer = setTimeout(() => this.fire(), this.opts.maxDelayMs);
    }
  }

  /** The gathering delay is up: sends, unless a write is out (its answer sends what waits). */
  private fire(): void {
    this.armed = false;
    if (this.out.size === 0) this.send();
  }

  /** Sends what is queued; resolves once every write sent so far is answered and settled. */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.out.size > 0) {
      this.send();
      await Promise.all(this.out);
    }
  }

  /**
   * Forgets keys in the store's copy (the client ended its connection, or the session is gone),
   * once the writes that may carry them are in: those queued are sent now, or a key committed after
   * its release would take a later message for a resend after a restart.
   */
  release(keys: readonly string[] | 'all'): void {
    this.send();
    void Promise.all(this.out)
      .then(() => this.store.releaseMarks(keys))
      // Kept, a key only risks taking one later message for a resend after a restart.
      .catch((err) => this.opts.log.warn({ err }, 'release of the store’s ingest keys failed'));
  }

  stats(): DirectLaneStats {
    return { ...this.counts };
  }

  private send(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const readings: Reading[] = [];
    const keys = [];
    let stampTs = 0;
    for (const { entry } of batch) {
      for (const r of entry.work.readings) readings.push(r);
      if (entry.key !== undefined) keys.push({ key: entry.key, receivedTs: entry.receivedTs });
      if (entry.stampTs !== undefined && entry.stampTs > stampTs) stampTs = entry.stampTs;
    }
    const write: Promise<void> = this.store.writeMarked(readings, { keys, stampTs, keep: KEYS_KEPT }).then(
      () => {
        this.counts.messages += batch.length;
        this.counts.batches += 1;
        try {
          this.opts.stored(
            batch.map((b) => b.entry.work),
            readings,
          );
        } catch (err) {
          // A listener's fault must not cost the batch its acknowledgements.
          this.opts.log.error({ err }, 'a stored-batch listener failed');
        }
        for (const b of batch) {
          try {
            b.settle('stored');
          } catch (err) {
            // One message's fault must not cost the others their acknowledgements.
            this.opts.log.error({ err }, 'settling a stored message failed');
          }
        }
      },
      (err: unknown) => {
        // Nothing of it was committed (one transaction): the spool takes it as it would have.
        this.counts.spooledAfterFailure += batch.length;
        this.opts.log.warn(
          { err, messages: batch.length },
          'direct store write failed; the spool takes its messages',
        );
        for (const b of batch)
          this.spool.appendGrouped(b.entry, (durable) => b.settle(durable ? 'spooled' : 'held'));
      },
    );
    this.out.add(write);
    this.outMessages += batch.length;
    void write.finally(() => {
      this.out.delete(write);
      this.outMessages -= batch.length;
      if (this.out.size === 0) this.send();
    });
  }
}
