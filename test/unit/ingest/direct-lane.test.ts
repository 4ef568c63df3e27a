import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectLane, type Settled } from '../../../services/ingest/direct-lane.ts';
import { Spool, type SpoolEntry } from '../../../services/ingest/spool.ts';
import { errorText } from '../../../services/shared/errors.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import { waitFor } from '../../setup/helpers.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'cx-direct-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = 1_790_000_000_000;
const reading = (i: number, value = i) => ({
  communeId: 'ta-lai',
  deviceId: 'tl-cam-01',
  metric: 'seqNo',
  ts: T0 + i,
  value,
});
const entry = (i: number, opts: { events?: boolean } = {}): SpoolEntry => ({
  receivedTs: T0 + i,
  topic: 'cx/v1/ta-lai/tl-cam-01/telemetry',
  clientId: 'tl-cam-01',
  payload: Buffer.from(`{"v":1,"metrics":{"seqNo":${i}}}`),
  work: {
    readings: [reading(i)],
    events: opts.events
      ? [
          {
            communeId: 'ta-lai',
            deviceId: 'tl-cam-01',
            ts: T0 + i,
            receivedTs: T0 + i,
            type: 'tamper',
            severity: 'warning',
            detail: null,
          },
        ]
      : [],
  },
  key: `key-${i}`,
  connection: 1,
  stampTs: T0 + i,
});

async function openStore(dir: string): Promise<SqliteStore> {
  const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
  await store.start();
  return store;
}

/** A store and a spool in one fresh folder, both closed after the test. */
async function storeAndSpool(): Promise<{ store: SqliteStore; spool: Spool }> {
  const dir = tmp();
  const store = await openStore(dir);
  const spool = openSpool(dir);
  closers.push(
    () => store.close(),
    () => spool.close(),
  );
  return { store, spool };
}

function openSpool(dir: string): Spool {
  const spool = new Spool(join(dir, 'spool.sqlite'), { maxBytes: 1 << 30, alarmPct: 80, log });
  spool.open();
  return spool;
}

describe('the SQLite store’s ingest marks', () => {
  it('commit with the readings, are read back after a reopen, kept to the newest and released', async () => {
    const dir = tmp();
    let store = await openStore(dir);
    const keys = (from: number, n: number) =>
      Array.from({ length: n }, (_, k) => ({ key: `k${from + k}`, receivedTs: T0 + from + k }));
    await store.writeMarked([reading(1)], { keys: keys(0, 3), stampTs: T0 + 50, keep: 4 });
    // The floor never goes down; past `keep` keys the oldest are trimmed.
    await store.writeMarked([reading(2)], { keys: keys(3, 2), stampTs: T0 + 10, keep: 4 });
    await store.close();

    store = await openStore(dir);
    closers.push(() => store.close());
    expect(store.readMarks(10)).toEqual({ keys: ['k1', 'k2', 'k3', 'k4'], stampTs: T0 + 50 });
    expect(store.readMarks(2).keys).toEqual(['k3', 'k4']);
    expect(await store.query({ fromTs: 0, toTs: T0 + 100 })).toHaveLength(2);

    await store.releaseMarks(['k2', 'k4']);
    expect(store.readMarks(10).keys).toEqual(['k1', 'k3']);
    await store.releaseMarks('all');
    expect(store.readMarks(10)).toEqual({ keys: [], stampTs: T0 + 50 });
  });

  it('are not committed when the readings are not: both or neither', async () => {
    const store = await openStore(tmp());
    closers.push(() => store.close());
    // NaN is bound as NULL, which the readings table refuses. A batch this small is written on
    // the event loop: its failure says what and why, and leaves nothing of it behind.
    const err = await store
      .writeMarked([reading(1), reading(2, Number.NaN)], {
        keys: [{ key: 'k1', receivedTs: T0 }],
        stampTs: T0 + 2,
        keep: 10,
      })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ name: 'StoreError' });
    expect(errorText(err)).toMatch(
      /^store: write marked batch of 2 on the event loop: NOT NULL constraint failed/,
    );
    expect(store.readMarks(10)).toEqual({ keys: [], stampTs: 0 });
    expect(await store.query({ fromTs: 0, toTs: T0 + 100 })).toEqual([]);
    // The next batch gets a fresh connection and lands.
    await store.writeMarked([reading(3)], { keys: [{ key: 'k3', receivedTs: T0 }], stampTs: 0, keep: 10 });
    expect((await store.query({ fromTs: 0, toTs: T0 + 100 })).map((r) => r.value)).toEqual([3]);
    expect(store.readMarks(10).keys).toEqual(['k3']);
  });
});

describe('direct lane', () => {
  function lane(store: SqliteStore, spool: Spool, keepingUp = () => true, maxSize = 100) {
    const stored: number[] = [];
    const l = new DirectLane(store, spool, {
      maxSize,
      maxDelayMs: 5,
      log,
      keepingUp,
      stored: (work) => stored.push(work.length),
    });
    return { lane: l, stored };
  }

  it('stores a batch with its keys and stamp floor, without a spool row, then settles it', async () => {
    const { store, spool } = await storeAndSpool();
    const { lane: l, stored } = lane(store, spool);
    const settled: Settled[] = [];
    for (let i = 1; i <= 3; i++)
      l.add(entry(i), (how) => {
        settled.push(how);
        // One message's fault (its broker callback throws) must not cost the others theirs.
        if (i === 1) throw new Error('callback failed');
      });
    await waitFor(() => settled.length === 3, 'three messages settled');
    expect(settled).toEqual(['stored', 'stored', 'stored']);
    expect(stored).toEqual([3]);
    expect(l.stats()).toEqual({ messages: 3, batches: 1, spooledAfterFailure: 0 });
    expect(spool.depth).toBe(0);
    expect(store.readMarks(10)).toEqual({ keys: ['key-1', 'key-2', 'key-3'], stampTs: T0 + 3 });
    expect(await store.query({ fromTs: 0, toTs: T0 + 100 })).toHaveLength(3);
    // The next run knows them for resends: adoptMarks hands the keys to the spool and returns the floor.
    const nextSpool = openSpool(tmp());
    closers.push(() => nextSpool.close());
    const next = lane(store, nextSpool).lane;
    expect(next.adoptMarks()).toBe(T0 + 3);
  });

  it('sends a batch the store refused to the spool, keys and stamps with it, and settles it as spooled', async () => {
    const dir = tmp();
    const store = await openStore(dir);
    const spool = openSpool(dir);
    closers.push(() => spool.close());
    // A closed store refuses every write.
    await store.close();
    const { lane: l, stored } = lane(store, spool);
    const settled: Settled[] = [];
    for (let i = 1; i <= 3; i++) l.add(entry(i), (how) => settled.push(how));
    await l.flush();
    await spool.flushPending();
    await waitFor(() => settled.length === 3, 'three messages settled');
    expect(settled).toEqual(['spooled', 'spooled', 'spooled']);
    expect(stored).toEqual([]);
    expect(l.stats()).toMatchObject({ messages: 0, spooledAfterFailure: 3 });
    expect(spool.head(10).map((r) => r.work.readings[0]!.value)).toEqual([1, 2, 3]);
    await spool.close();
    const file = new Database(join(dir, 'spool.sqlite'), { readonly: true });
    try {
      expect(file.prepare('SELECT key FROM accepted_keys ORDER BY id').pluck().all()).toEqual([
        'key-1',
        'key-2',
        'key-3',
      ]);
      expect(file.prepare('SELECT ts FROM stamp_floor').pluck().get()).toBe(T0 + 3);
    } finally {
      file.close();
    }
  });

  it('takes only readings, and only while the store keeps up and is not the bottleneck', async () => {
    const { store, spool } = await storeAndSpool();
    let keepingUp = true;
    const { lane: l } = lane(store, spool, () => keepingUp);
    expect(l.takes(entry(1).work)).toBe(true);
    // Device events are written to the service database from the spool, where a replay finds them.
    expect(l.takes(entry(1, { events: true }).work)).toBe(false);
    keepingUp = false;
    expect(l.takes(entry(1).work)).toBe(false);

    // At most 8 store batches' worth of messages are in the lane: past that the spool takes them.
    const small = lane(store, spool, () => true, 1).lane;
    const settled: Settled[] = [];
    for (let i = 1; i <= 8; i++) small.add(entry(i), (how) => settled.push(how));
    expect(small.takes(entry(9).work)).toBe(false);
    await small.flush();
    expect(settled).toHaveLength(8);
    expect(small.takes(entry(9).work)).toBe(true);

    // An eighth of a batch waiting behind a write that is out: the store's thread is the
    // bottleneck, and the spool (with a thread of its own for its inserts) takes what comes.
    const sixteen = lane(store, spool, () => true, 16).lane;
    for (let i = 1; i <= 16; i++) sixteen.add(entry(100 + i), () => {});
    sixteen.add(entry(117), () => {});
    expect(sixteen.takes(entry(118).work)).toBe(true);
    sixteen.add(entry(118), () => {});
    expect(sixteen.takes(entry(119).work)).toBe(false);
    await sixteen.flush();
    expect(sixteen.takes(entry(119).work)).toBe(true);
    expect(sixteen.stats()).toMatchObject({ messages: 18, batches: 2 });
  });
});
