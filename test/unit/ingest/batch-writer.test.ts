import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/shared/logger.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import { InfluxStore } from '../../../services/store/influxdb/influx-store.ts';
import { freePort } from '../../setup/service-process.ts';
import { type StorePump, storePump } from '../../setup/store-pump.ts';

const dirs: string[] = [];
const pumps: StorePump[] = [];
afterEach(async () => {
  for (const p of pumps.splice(0)) dirs.push(p.dir);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function sqliteStore(): Promise<SqliteStore> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-writer-'));
  dirs.push(dir);
  const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
  await store.start();
  return store;
}

const everything = { fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: 100_000 };

describe('batch writer', () => {
  it('keeps storing while every event-loop turn brings more messages than a batch', async () => {
    const store = await sqliteStore();
    const p = storePump(store, { maxSize: 5, maxDelayMs: 50 });
    pumps.push(p);
    // A flood: each turn is busy for 2 ms, then accepts a batch's worth of messages, so an
    // immediate kick is always fresh when the timers phase comes round.
    let i = 0;
    const until = Date.now() + 300;
    await new Promise<void>((resolve) => {
      const turn = () => {
        const busyUntil = Date.now() + 2;
        while (Date.now() < busyUntil);
        for (let k = 0; k < 5; k++) p.accept(i++);
        if (Date.now() < until) setImmediate(turn);
        else resolve();
      };
      setImmediate(turn);
    });
    const storedDuringFlood = p.writer.snapshot().written;
    await p.spool.flushPending();
    await p.close();
    expect(storedDuringFlood).toBeGreaterThan(0);
    expect(p.writer.snapshot().written).toBe(i);
    await store.close();
  });

  it('holds acknowledgements while a healthy store is behind, and sends every one once it catches up', async () => {
    const store = await sqliteStore();
    // Batches of 2: the store is "behind" past 16 unstored messages, and 2,000 arrive at once.
    const p = storePump(store, { maxSize: 2, maxDelayMs: 5 });
    pumps.push(p);
    for (let i = 0; i < 2000; i++) p.accept(i);
    await p.spool.flushPending();
    expect(p.acked.length).toBeLessThan(2000);
    expect(p.writer.snapshot().heldAcks).toBeGreaterThan(0);
    const deadline = Date.now() + 10_000;
    while (p.acked.length < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(p.acked.length).toBe(2000);
    await p.close();
    expect((await store.query(everything)).length).toBe(2000);
    await store.close();
  });

  it('never holds an acknowledgement while the store is down: the spool takes the messages', async () => {
    // A port that was free a moment ago and is closed now: every write is refused.
    const store = new InfluxStore(
      { url: `http://127.0.0.1:${await freePort()}`, database: 'x' },
      { log: createLogger({ level: 'silent' }), timeoutMs: 500 },
    );
    // Not started: its start() pings a server that is not there.
    const p = storePump(store, { maxSize: 2, maxDelayMs: 5 });
    pumps.push(p);
    p.accept(0);
    await p.spool.flushPending();
    // Let the first write fail, so the writer knows the store is down.
    const deadline = Date.now() + 5000;
    while (p.writer.snapshot().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(p.writer.snapshot().ok).toBe(false);
    for (let i = 1; i < 500; i++) p.accept(i);
    await p.spool.flushPending();
    expect(p.acked.length).toBe(500);
    expect(p.writer.snapshot().heldAcks).toBe(0);
    expect(p.spool.stats().depth).toBe(500);
    await p.close();
    await store.close();
  });
});
