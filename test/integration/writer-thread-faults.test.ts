import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { THREADS } from '../../services/store/embedded/write-thread.ts';
import { seqEntry, storePump } from '../setup/store-pump.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const everything = { fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: 100_000 };

describe('a SQLite writer thread that dies', () => {
  it('fails what it had in hand with a StoreError, and the next write starts a new thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-thread-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    const rows = Array.from({ length: 50_000 }, (_, i) => seqEntry(i).work.readings[0]!);
    // Told to end, then sent a batch before it has: the batch is in its hands when it dies.
    const dies = THREADS.store.terminate();
    const inHand = store.write(rows);
    await dies;
    await expect(inHand).rejects.toMatchObject({ name: 'StoreError' });
    await store.write(rows.slice(0, 10));
    // Nothing of the batch it died with; the next write, on a new thread, is there.
    expect((await store.query(everything)).length).toBe(10);
    await store.close();
  });

  it('loses no acknowledged message when the store and spool threads die mid-stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-thread-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    // One batch holds everything and nothing is written before the test asks (flush).
    const p = storePump(store, { maxSize: 5000, maxDelayMs: 60_000 });
    dirs.push(p.dir);
    // Each thread is told to end, then sent work before it has: the work is in its hands when it
    // dies, whatever the scheduling. The spool thread first: its group commit fails, so those
    // messages are not durable; they are held in memory (and acknowledged), and the next group
    // starts a new thread.
    p.accept(0);
    await p.spool.flushPending();
    const spoolDies = THREADS.spool.terminate();
    for (let i = 1; i < 1000; i++) p.accept(i);
    const failedGroup = p.spool.flushPending();
    await spoolDies;
    await failedGroup;
    for (let i = 1000; i < 3000; i++) p.accept(i);
    await p.spool.flushPending();
    expect(p.spool.stats().appendFailures).toBeGreaterThan(0);
    // Then the store thread, with batches in hand: the writer sees the failure, keeps the rows in
    // the spool, and retries with backoff.
    const storeDies = THREADS.store.terminate();
    const drain = p.writer.flush();
    await storeDies;
    await drain;
    // What failed and why, as the API shows it.
    expect(p.writer.snapshot()).toMatchObject({
      ok: false,
      lastError: expect.stringMatching(/^store: write batch of \d+: SQLite store thread exited/),
    });
    const deadline = Date.now() + 20_000;
    while (p.spool.depth + p.writer.snapshot().inMemory > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await p.close();
    const stored = new Set((await store.query(everything)).map((r) => r.value));
    expect(p.acked.length).toBe(3000);
    expect(p.acked.filter((i) => !stored.has(i))).toEqual([]);
    await store.close();
  }, 30_000);
});
