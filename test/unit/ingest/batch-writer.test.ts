import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchWriter } from '../../../services/ingest/batch-writer.ts';
import { RejectLog } from '../../../services/ingest/reject-log.ts';
import { Spool } from '../../../services/ingest/spool.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { openDb } from '../../../services/store/db.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import { InfluxStore } from '../../../services/store/influxdb/influx-store.ts';
import type { Store } from '../../../services/store/store.ts';
import { freePort } from '../../setup/service-process.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (i: number) => ({
  receivedTs: 1_790_000_000_000 + i,
  topic: 'cx/v1/ta-lai/tl-cam-01/telemetry',
  clientId: 'tl-cam-01',
  payload: Buffer.from('{}'),
  work: {
    readings: [
      { communeId: 'ta-lai', deviceId: 'tl-cam-01', metric: 'seqNo', ts: 1_790_000_000_000 + i, value: i },
    ],
    events: [],
  },
});

describe('batch writer', () => {
  it('keeps storing while every event-loop turn brings more messages than a batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-writer-'));
    dirs.push(dir);
    const db = openDb(join(dir, 'canhxa.sqlite'));
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    const spool = new Spool(join(dir, 'spool.sqlite'), { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    spool.open();
    const writer = new BatchWriter(store, spool, db, new RejectLog(db, { kept: 100 }), {
      maxSize: 5,
      maxDelayMs: 50,
      log,
      clock: Date.now,
    });
    // A flood: each turn is busy for 2 ms, then accepts a batch's worth of messages, so an
    // immediate kick is always fresh when the timers phase comes round.
    let i = 0;
    const until = Date.now() + 300;
    await new Promise<void>((resolve) => {
      const turn = () => {
        const busyUntil = Date.now() + 2;
        while (Date.now() < busyUntil);
        for (let k = 0; k < 5; k++) spool.appendGrouped(entry(i++), () => writer.notify());
        if (Date.now() < until) setImmediate(turn);
        else resolve();
      };
      setImmediate(turn);
    });
    const storedDuringFlood = writer.snapshot().written;
    await spool.flushPending();
    await writer.stop();
    expect(storedDuringFlood).toBeGreaterThan(0);
    expect(writer.snapshot().written).toBe(i);
    await spool.close();
    await store.close();
    db.close();
  });

  /** A spool and writer as ingest builds them, over `store`. */
  function pump(dir: string, store: Store, maxSize: number) {
    const db = openDb(join(dir, 'canhxa.sqlite'));
    const spool = new Spool(join(dir, 'spool.sqlite'), { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    spool.open();
    const writer = new BatchWriter(store, spool, db, new RejectLog(db, { kept: 100 }), {
      maxSize,
      maxDelayMs: 5,
      log,
      clock: Date.now,
    });
    let acked = 0;
    // As Ingest.accept does: spool, then the writer decides when the broker may acknowledge.
    const accept = (i: number) =>
      spool.appendGrouped(entry(i), () => {
        writer.notify();
        writer.admit(() => acked++);
      });
    return {
      spool,
      writer,
      accept,
      acked: () => acked,
      close: async () => {
        await writer.stop();
        await spool.close();
        db.close();
      },
    };
  }

  it('holds acknowledgements while a healthy store is behind, and sends every one once it catches up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-writer-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    // Batches of 2: the store is "behind" past 32 unstored messages, and 2,000 arrive at once.
    const p = pump(dir, store, 2);
    for (let i = 0; i < 2000; i++) p.accept(i);
    await p.spool.flushPending();
    expect(p.acked()).toBeLessThan(2000);
    expect(p.writer.snapshot().heldAcks).toBeGreaterThan(0);
    const deadline = Date.now() + 10_000;
    while (p.acked() < 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(p.acked()).toBe(2000);
    await p.close();
    expect((await store.query({ fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: 5000 })).length).toBe(2000);
    await store.close();
  });

  it('never holds an acknowledgement while the store is down: the spool takes the messages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-writer-'));
    dirs.push(dir);
    // A port that was free a moment ago and is closed now: every write is refused.
    const store = new InfluxStore(
      { url: `http://127.0.0.1:${await freePort()}`, database: 'x' },
      { log, timeoutMs: 500 },
    );
    // Not started: its start() pings a server that is not there.
    const p = pump(dir, store, 2);
    p.accept(0);
    await p.spool.flushPending();
    // Let the first write fail, so the writer knows the store is down.
    const deadline = Date.now() + 5000;
    while (p.writer.snapshot().ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(p.writer.snapshot().ok).toBe(false);
    for (let i = 1; i < 500; i++) p.accept(i);
    await p.spool.flushPending();
    expect(p.acked()).toBe(500);
    expect(p.writer.snapshot().heldAcks).toBe(0);
    expect(p.spool.stats().depth).toBe(500);
    await p.spool.close();
    await store.close();
  });
});
