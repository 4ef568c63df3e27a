import type { Logger } from '../shared/logger.ts';
import type { Reading, Store } from '../store/store.ts';

export interface BatchWriterStats {
  readonly kind: string;
  readonly ok: boolean;
  /** Readings accepted but not yet durable in the store. */
  readonly pending: number;
  readonly written: number;
  readonly batches: number;
  readonly lastWriteTs: number | null;
  readonly lastError: string | null;
}

/**
 * Gathers readings into batches (size or delay, whichever first) and writes them in order. A failed
 * batch is kept at the head and retried with backoff; nothing is dropped. `afterFlush` runs after
 * each attempt so per-batch bookkeeping (last-heard times, events) shares the cadence.
 */
export class BatchWriter {
  private queue: Reading[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  private stats = { written: 0, batches: 0, lastWriteTs: null as number | null, lastError: null as string | null };
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly opts: { maxSize: number; maxDelayMs: number; log: Logger; afterFlush?: () => void },
  ) {}

  add(readings: readonly Reading[]): void {
    for (const r of readings) this.queue.push(r);
    if (this.queue.length >= this.opts.maxSize) this.kick(0);
    else this.kick(this.opts.maxDelayMs);
  }

  /** Writes everything queued now; resolves when the queue is empty or a write failed. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writeOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.flush();
  }

  snapshot(): BatchWriterStats {
    return { kind: this.store.kind, ok: this.failures === 0, pending: this.queue.length, ...this.stats, batches: this.stats.batches };
  }

  private kick(delayMs: number): void {
    if (this.timer || this.inFlight || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.inFlight = this.writeOnce().finally(() => {
        this.inFlight = null;
        if (this.queue.length > 0) this.kick(this.failures > 0 ? this.backoffMs() : 0);
      });
    }, delayMs);
  }

  private backoffMs(): number {
    return Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
  }

  private async writeOnce(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.maxSize);
      try {
        await this.store.write(batch);
        this.queue.splice(0, batch.length);
        this.failures = 0;
        this.stats.written += batch.length;
        this.stats.batches += 1;
        this.stats.lastWriteTs = Date.now();
        this.stats.lastError = null;
      } catch (err) {
        this.failures += 1;
        this.stats.lastError = err instanceof Error ? err.message : String(err);
        this.opts.log.warn({ err, pending: this.queue.length, failures: this.failures }, 'store write failed; will retry');
        break;
      } finally {
        this.opts.afterFlush?.();
      }
    }
  }
}
