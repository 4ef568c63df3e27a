import { Worker } from 'node:worker_threads';
import { StoreError } from '../../shared/errors.ts';

/**
 * One statement for a writer thread: either run once with `params`, or once per row of `flat`
 * (`width` values a row); with `ids`, its result is the rowid of each row it inserted; with `row`,
 * the first row it answers (a PRAGMA's).
 */
export type WriteStep =
  | { readonly sql: string; readonly params?: readonly unknown[]; readonly row?: true }
  /** Several statements without parameters (a schema), run as one script. */
  | { readonly sql: string; readonly script: true }
  | {
      readonly sql: string;
      readonly flat: readonly unknown[];
      readonly width: number;
      readonly ids?: boolean;
    };

/**
 * Per step: the rows it changed, the rowids it inserted when asked for `ids`, or its first row
 * (undefined if none) when asked for `row`.
 */
export type StepResult = number | number[] | Record<string, unknown> | undefined;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly changes?: StepResult[];
  readonly message?: string;
  readonly code?: string | null;
}

/** The writes of one SQLite file, run on a writer thread in the order they were asked for. */
export interface WriteFile {
  /**
   * Runs `steps` in order, in one transaction unless told otherwise; resolves with each step's
   * result. Rejects with a StoreError saying `what`, whose cause carries SQLite's code.
   */
  run(steps: readonly WriteStep[], what: string, opts?: { transaction?: boolean }): Promise<StepResult[]>;
  /** Closes the connection once what was asked before has run. */
  close(): Promise<void>;
  /** Requests sent for this file and not yet answered. */
  readonly outstanding: number;
}

/**
 * One worker thread (write-thread.worker.mjs) that runs every write to the files opened on it, each
 * file on its own connection. A process has one per kind of file (THREADS), not one per file: an
 * ingest worker holding fifty communes has fifty spool files. The thread starts with the first file
 * and ends with the last. If it dies (a native fault), its pending requests fail with a StoreError
 * and the next request starts a new one: the caller's retry is the recovery.
 */
export class WriteThread {
  private worker: Worker | null = null;
  private exiting: Promise<void> | null = null;
  private nextId = 1;
  private openFiles = 0;
  private readonly pending = new Map<number, { resolve(c: StepResult[]): void; reject(e: Error): void }>();

  constructor(private readonly name: string) {}

  open(file: string, pragmas: readonly string[]): WriteFile {
    this.openFiles += 1;
    let closed: Promise<void> | null = null;
    let outstanding = 0;
    const answered = () => {
      outstanding -= 1;
    };
    return {
      get outstanding() {
        return outstanding;
      },
      run: (steps, what, opts = {}) => {
        if (closed) return Promise.reject(new StoreError(`${what} after close`));
        outstanding += 1;
        const sent = this.send({ file, pragmas, steps, transaction: opts.transaction ?? true }, what);
        sent.then(answered, answered);
        return sent;
      },
      close: () => {
        closed ??= this.send({ file, close: true }, `close ${file}`)
          .catch(() => undefined)
          .then(() => {
            this.openFiles -= 1;
            if (this.openFiles === 0) return this.end();
          });
        return closed;
      },
    };
  }

  /**
   * Ends the thread at once, without waiting for what it is doing: its pending requests fail with
   * a StoreError (their transactions roll back), and the next request starts a new thread. For a
   * shutdown that cannot wait, and for the fault tests that prove nothing is lost when it happens.
   */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  private async send(req: object, what: string): Promise<StepResult[]> {
    if (this.exiting) await this.exiting;
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<StepResult[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject: (cause) => reject(new StoreError(what, { cause })) });
      // Referenced while a request is out, so a script awaiting a write is not ended under it.
      worker.ref();
      worker.postMessage({ id, ...req });
    });
  }

  /** Ends the thread once every file is closed. */
  private end(): Promise<void> {
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.worker = null;
    this.exiting = new Promise<void>((r) => {
      w.once('exit', () => r());
      w.ref();
      w.postMessage('exit');
    }).finally(() => {
      this.exiting = null;
    });
    return this.exiting;
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./write-thread.worker.mjs', import.meta.url), {
      name: `sqlite-${this.name}`,
    });
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m.changes ?? []);
      else p.reject(Object.assign(new Error(m.message), { code: m.code ?? undefined }));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = null;
      const pending = [...this.pending.values()];
      this.pending.clear();
      for (const p of pending) p.reject(err);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`SQLite ${this.name} thread exited (code ${code})`)));
    // An idle thread must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/**
 * The process's writer threads. The spool's small group commits are on their own thread so they
 * never queue behind a store batch: a PUBACK waits for its spool commit only. The readings file's
 * checkpoints are on a third (WalCheckpointer), so a store batch never queues behind one.
 */
export const THREADS = {
  spool: new WriteThread('spool'),
  store: new WriteThread('store'),
  checkpoint: new WriteThread('checkpoint'),
} as const;
