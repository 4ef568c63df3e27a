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
});
