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
    // Counts the batches handed to the real store: when the writer starts one is the point here.
    let writeCalls = 0;
    const write = store.write.bind(store);
    store.write = (readings) => {
      writeCalls++;
      return write(readings);
    };
    const p = storePump(store, { maxSize: 5, maxDelayMs: 50 });
    pumps.push(p);
    // A flood: each turn accepts a batch's worth of messages, is busy for 2 ms, and ends with a
    // spooled-row notification, so an immediate kick is always fresh when the timers phase comes
    // round (the spool's own commit answers arrive in the poll phase, before the busy part). A
    // writer that re-arms an immediate timer on every notification is starved by it. Judged in
    // turns, not time: once a batch waits in the spool, a kick is at most 5 notifications (turns)
    // away and fires by the second timers phase after it, however slow the machine; the spool and
    // store threads may take seconds to start on a loaded one, which a fixed 300 ms flood did not
    // allow for (it failed 7 runs in 11 beside another suite).
    const TURNS_ALLOWED = 20;
    const FLOOD_LIMIT_MS = 10_000;
    const startTs = Date.now();
    let i = 0;
    let turns = 0;
    let waitingFromTurn: number | null = null;
    const callsDuringFlood = await new Promise<number>((resolve) => {
      const turn = () => {
        for (let k = 0; k < 5; k++) p.accept(i++);
        const busyUntil = Date.now() + 2;
        while (Date.now() < busyUntil);
        p.writer.notify();
        turns++;
        if (waitingFromTurn === null && p.spool.depth >= 5) waitingFromTurn = turns;
        const starved = waitingFromTurn !== null && turns - waitingFromTurn > TURNS_ALLOWED;
        if (writeCalls > 0 || starved || Date.now() - startTs > FLOOD_LIMIT_MS) resolve(writeCalls);
        else setImmediate(turn);
      };
      setImmediate(turn);
    });
    const floodMs = Date.now() - startTs;
    await p.spool.flushPending();
    await p.close();
    expect(waitingFromTurn, `no spool commit in ${floodMs} ms`).not.toBeNull();
    expect(
      callsDuringFlood,
      `nothing handed to the store in ${turns - waitingFromTurn!} turns of a flood while a batch waited`,
    ).toBeGreaterThan(0);
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
    const held = p.writer.snapshot();
    expect(held.heldAcks).toBeGreaterThan(0);
    expect(held.holdingAcks).toBe(2000 - p.acked.length);
    expect(held.pushbacks).toBeGreaterThan(0);
    expect(held.peakBacklog).toBeGreaterThanOrEqual(16);
    const deadline = Date.now() + 10_000;
    while (p.acked.length < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(p.acked.length).toBe(2000);
    expect(p.writer.snapshot().holdingAcks).toBe(0);
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
