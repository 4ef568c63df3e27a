import { Worker } from 'node:worker_threads';
import { StoreError } from '../../shared/errors.ts';

/** One statement for the writer thread: either run once with `params`, or once per row of `flat`. */
export type WriteStep =
  | { readonly sql: string; readonly params?: readonly unknown[] }
  | { readonly sql: string; readonly flat: readonly unknown[]; readonly width: number };

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly changes?: number[];
  readonly message?: string;
  readonly code?: string | null;
}

/**
 * The main thread's handle on write-thread.worker.mjs: one SQLite connection in a worker thread
 * that runs every write to one file, so writes use the second core and never block the event loop.
 * Requests run one after another in the order they were sent. If the thread dies (a native fault),
 * its pending requests fail with a StoreError and the next request starts a new thread: the
 * caller's retry (the spool keeps the rows) is the recovery.
 */
export class WriteThread {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(c: number[]): void; reject(e: Error): void }>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly file: string,
    private readonly pragmas: readonly string[],
  ) {}

  /** Runs `steps` in order (in one transaction unless told otherwise); resolves with each step's row changes. */
  run(steps: readonly WriteStep[], what: string, opts: { transaction?: boolean } = {}): Promise<number[]> {
    if (this.closing) return Promise.reject(new StoreError(`${what} after close`));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, {
        resolve,
        reject: (cause) => reject(new StoreError(what, { cause })),
      });
      // Referenced while a request is out, so a script awaiting a write is not ended under it.
      worker.ref();
      worker.postMessage({ id, steps, transaction: opts.transaction ?? true });
    });
  }

  /** Closes the connection once what was sent has run (the thread takes requests in order). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const w = this.worker;
      if (!w) return;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.ref();
      w.postMessage('close');
      await exited;
    })();
    return this.closing;
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./write-thread.worker.mjs', import.meta.url), {
      workerData: { file: this.file, pragmas: this.pragmas },
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
    worker.on('exit', (code) => fail(new Error(`SQLite writer thread exited (code ${code})`)));
    // An idle thread must not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
