import type { WriteFile, WriteStep } from './write-thread.ts';

/**
 * The least time between two checkpoints of one file (each copies what was committed since, once
 * a page however often it changed). At 2,000 msg/s from 400 devices each device's leaf changes
 * about once in 200 ms and five times in a second: checkpoints every second instead of every 200 ms
 * took the checkpointer's thread from 8–9 µs a message to 4–5, and the service's CPU a message by
 * 5 % (four alternating pairs, all four lower; p99 publish → stored unchanged, 6–7 ms). The price:
 * `synchronous = NORMAL` syncs the WAL at checkpoints, so a power cut (not a crash of the service,
 * which loses nothing committed) may lose up to about a second of commits instead of 200 ms (#15).
 */
export const CHECKPOINT_EVERY_MS = 1000;

/**
 * The WAL's length, in pages, past which a checkpoint also restarts it (32 MiB of the readings
 * file's 8 KiB pages, 16 MiB in a file made with 4 KiB ones). A restart holds the writer for some
 * 6 ms (the two syncs it makes beside the writer's own writes), so it is kept rare: at 2,000 msg/s
 * the readings file commits some 2,500–3,000 pages a second, so every other checkpoint.
 * Restarting after every checkpoint (then every 200 ms) took p99 publish → stored from 9–10 ms to
 * 12–13; waiting for 16,384 pages gained nothing over this and let the WAL reach 73 MB.
 */
export const RESTART_AT_PAGES = 4096;

export interface CheckpointPolicy {
  /** The least time between two checkpoints; CHECKPOINT_EVERY_MS when not told. */
  readonly everyMs?: number;
  /** The WAL's length past which one also restarts it; RESTART_AT_PAGES when not told. */
  readonly restartAtPages?: number;
  /** The file's page size, in bytes, which sizes the WAL file a restart leaves; 4096 when not told. */
  readonly pageBytes?: number;
}

/** For the writer's pragmas: its commits leave checkpoints to a WalCheckpointer. */
export const WRITER_CHECKPOINT_PRAGMAS = ['wal_autocheckpoint = 0'];

/** The checkpointer's connection: it copies pages only, so it needs no cache of its own. */
export const CHECKPOINTER_PRAGMAS = ['busy_timeout = 5000', 'journal_mode = WAL', 'synchronous = NORMAL'];

/**
 * Copies a WAL file's committed pages into its database from a connection on a thread of its own,
 * so the writer's commits never wait for that (#15). SQLite's own automatic checkpoint runs inside
 * the commit that crosses 1,000 pages: at 2,000 msg/s the readings file crossed it every half
 * second, and each time the batches behind that commit waited 10–30 ms while it copied 4 MB and
 * synced it. Here the writer has WRITER_CHECKPOINT_PRAGMAS, and each checkpoint has two parts:
 * - a PASSIVE checkpoint on this thread copies what was committed. It never takes the write lock,
 *   so commits go on meanwhile (measured: the store thread's p99 per batch from 13 ms to under 2);
 * - once the WAL is RESTART_AT_PAGES long, a RESTART follows, queued on the writer's own thread
 *   between two of its batches: it copies the few frames committed during the copy, so the
 *   writer's next commit starts the WAL afresh. Without it the WAL never restarts under a steady
 *   load (a commit nearly always lands during a copy) and grew to 211 MB in a 20 s run at
 *   2,000 msg/s. It never waits: with no busy timeout it gives up at once if a reader or another
 *   process holds frames back, and a later checkpoint tries again.
 *
 * Checkpoints follow writes (`nudge` after each), at most one every `everyMs` and never two at
 * once: an idle service wakes nothing, and what the last burst left in the WAL is read from there
 * and checkpointed by the next write or at close, as SQLite does. A checkpoint that fails hands the
 * job back to the writer's own automatic checkpoint, so the WAL stays bounded whatever happens here.
 */
export class WalCheckpointer {
  private running: Promise<void> | null = null;
  private lastAt = 0;
  private handedBack = false;
  private readonly restart: readonly WriteStep[];
  private readonly busyTimeout: WriteStep;
  private readonly everyMs: number;
  private readonly restartAtPages: number;

  constructor(
    private readonly file: WriteFile,
    /** The writer's connection: it restarts the WAL, and checkpoints itself again if this fails. */
    private readonly writer: WriteFile,
    /** The writer's busy timeout, set again after its RESTART. */
    writerBusyTimeoutMs: number,
    policy: CheckpointPolicy = {},
  ) {
    this.everyMs = policy.everyMs ?? CHECKPOINT_EVERY_MS;
    this.restartAtPages = policy.restartAtPages ?? RESTART_AT_PAGES;
    this.busyTimeout = { sql: `PRAGMA busy_timeout = ${writerBusyTimeoutMs}` };
    this.restart = [
      { sql: 'PRAGMA busy_timeout = 0' },
      // A WAL file a burst made longer shrinks back when it restarts (a fresh start's sample
      // history left a 51 MB file for as long as the service ran), to twice the bound: a steady
      // 2,000 msg/s reaches 1.4 times it between restarts, and is not cut and grown again each time.
      { sql: `PRAGMA journal_size_limit = ${this.restartAtPages * 2 * (policy.pageBytes ?? 4096)}` },
      { sql: 'PRAGMA wal_checkpoint(RESTART)' },
      this.busyTimeout,
    ];
  }

  /**
   * True once checkpoints failed and the writer thread's connection checkpoints itself again: then
   * every write must go through that connection, or the WAL would grow unchecked.
   */
  get gaveUp(): boolean {
    return this.handedBack;
  }

  /** Something was committed: starts a checkpoint unless one runs or ran too recently. */
  nudge(): void {
    if (this.running || this.handedBack || Date.now() - this.lastAt < this.everyMs) return;
    this.lastAt = Date.now();
    // PRAGMA wal_checkpoint answers "busy" in its row, not with an error, when a reader or another
    // process holds frames back: a later checkpoint takes them.
    this.running = this.file
      .run([{ sql: 'PRAGMA wal_checkpoint(PASSIVE)', row: true }], 'checkpoint', { transaction: false })
      .then(([answer]) => {
        const pages = (answer as { log?: number } | undefined)?.log ?? 0;
        if (pages >= this.restartAtPages)
          return this.writer.run(this.restart, 'restart the WAL', { transaction: false });
      })
      .then(
        () => undefined,
        () => this.handBack(),
      )
      .finally(() => {
        this.running = null;
      });
  }

  /** Waits for a checkpoint under way, then closes this connection (the writer's stays). */
  async close(): Promise<void> {
    await this.running;
    await this.file.close();
  }

  private async handBack(): Promise<void> {
    this.handedBack = true;
    await this.writer
      .run(
        // Its busy timeout too, in case the RESTART failed between setting it to 0 and back.
        [this.busyTimeout, { sql: 'PRAGMA wal_autocheckpoint = 1000' }],
        'hand checkpoints back to the writer',
        { transaction: false },
      )
      // The writer's file is then failing too, and its own writes say so.
      .catch(() => undefined);
  }
}
