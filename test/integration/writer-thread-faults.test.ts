import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchWriter } from '../../services/ingest/batch-writer.ts';
import { RejectLog } from '../../services/ingest/reject-log.ts';
import { Spool } from '../../services/ingest/spool.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { openDb } from '../../services/store/db.ts';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { THREADS } from '../../services/store/embedded/write-thread.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_790_000_000_000;
const entry = (i: number) => ({
  receivedTs: T0 + i,
  topic: 'cx/v1/ta-lai/tl-cam-01/telemetry',
  clientId: 'tl-cam-01',
  payload: Buffer.from(`{"v":1,"ts":${T0 + i},"metrics":{"seqNo":${i}}}`),
  work: {
    readings: [{ communeId: 'ta-lai', deviceId: 'tl-cam-01', metric: 'seqNo', ts: T0 + i, value: i }],
    events: [],
  },
});

describe('a SQLite writer thread that dies', () => {
  it('fails what it had in hand with a StoreError, and the next write starts a new thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-thread-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    const rows = Array.from({ length: 50_000 }, (_, i) => entry(i).work.readings[0]!);
    const inHand = store.write(rows);
    await THREADS.store.terminate();
    await expect(inHand).rejects.toMatchObject({ name: 'StoreError' });
    await store.write(rows.slice(0, 10));
    const back = await store.query({ fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: 100_000 });
    // The batch in hand rolled back whole or committed whole; the next one is there.
    expect([10, 50_000]).toContain(back.length);
    await store.close();
  });

  it('loses no acknowledged message when the store and spool threads die mid-stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-thread-'));
    dirs.push(dir);
    const db = openDb(join(dir, 'canhxa.sqlite'));
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    const spool = new Spool(join(dir, 'spool.sqlite'), { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    spool.open();
    const writer = new BatchWriter(store, spool, db, new RejectLog(db, { kept: 100 }), {
      // One batch holds everything and nothing is written before the test asks (flush).
      maxSize: 5000,
      maxDelayMs: 60_000,
      log,
      clock: Date.now,
    });
    const acked: number[] = [];
    const accept = (i: number) =>
      spool.appendGrouped(entry(i), (durable) => {
        if (durable) writer.notify();
        else writer.holdInMemory(entry(i).work);
        writer.admit(() => acked.push(i));
      });
    // The spool thread dies with a group commit in hand: those messages are not durable, so they
    // are held in memory (and acknowledged), and the next group starts a new thread.
    for (let i = 0; i < 1000; i++) accept(i);
    await THREADS.spool.terminate();
    for (let i = 1000; i < 3000; i++) accept(i);
    await spool.flushPending();
    expect(spool.stats().appendFailures).toBeGreaterThan(0);
    // The store thread dies with batches in hand: the writer sees the failure, keeps the rows in
    // the spool, and retries with backoff.
    const drain = writer.flush();
    await THREADS.store.terminate();
    await drain;
    expect(writer.snapshot()).toMatchObject({ ok: false, lastError: expect.stringMatching(/write batch/) });
    const deadline = Date.now() + 20_000;
    while (spool.depth + writer.snapshot().inMemory > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await writer.stop();
    const stored = new Set(
      (await store.query({ fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: 100_000 })).map((r) => r.value),
    );
    expect(acked.length).toBe(3000);
    expect(acked.filter((i) => !stored.has(i))).toEqual([]);
    await spool.close();
    await store.close();
    db.close();
  }, 30_000);
});
