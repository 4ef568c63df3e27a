import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StoreError } from '../../../services/shared/errors.ts';
import { openDb } from '../../../services/store/db.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import { THREADS } from '../../../services/store/embedded/write-thread.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A store whose writer-thread requests named `prefix…` are recorded with their first step's result
 * (rows changed), to see how a job is cut into transactions.
 */
async function countedStore(dir: string, prefix: string, opts: { pruneChunkRows?: number } = {}) {
  const calls: number[] = [];
  const open = THREADS.store.open.bind(THREADS.store);
  const spy = vi.spyOn(THREADS.store, 'open').mockImplementation((file, pragmas) => {
    const w = open(file, pragmas);
    return {
      run: async (steps, what, runOpts) => {
        const out = await w.run(steps, what, runOpts);
        if (what.startsWith(prefix)) calls.push(Number(out[0]));
        return out;
      },
      close: () => w.close(),
      get outstanding() {
        return w.outstanding;
      },
    };
  });
  const store = new SqliteStore({ file: join(dir, 'readings.sqlite'), ...opts });
  spy.mockRestore();
  await store.start();
  return { store, calls };
}

describe('SQLite store file', () => {
  it('moves readings an earlier version kept in the main database into its own file, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-sqlite-store-'));
    dirs.push(dir);
    const main = openDb(join(dir, 'canhxa.sqlite'));
    // The tables as 0.1 created them in the main file.
    main.exec(`CREATE TABLE readings (
      commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
      value REAL NOT NULL, PRIMARY KEY (device_id, metric, ts, commune_id)) WITHOUT ROWID;
      CREATE TABLE readings_1m (
      commune_id TEXT NOT NULL, device_id TEXT NOT NULL, metric TEXT NOT NULL, ts INTEGER NOT NULL,
      min REAL NOT NULL, max REAL NOT NULL, mean REAL NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (device_id, metric, ts, commune_id)) WITHOUT ROWID;`);
    main
      .prepare('INSERT INTO readings VALUES (?, ?, ?, ?, ?)')
      .run('tà-lài', 'tl-cảm-biến-01', 'soilMoisturePct', 60_000, 31.5);
    main
      .prepare('INSERT INTO readings_1m VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run('tà-lài', 'tl-cảm-biến-01', 'soilMoisturePct', 60_000, 31.5, 31.5, 31.5, 1);

    const file = join(dir, 'readings.sqlite');
    const store = new SqliteStore({ file, legacyDb: main });
    await store.start();
    const all = { fromTs: 0, toTs: 120_000 };
    expect(await store.query(all)).toEqual([
      { communeId: 'tà-lài', deviceId: 'tl-cảm-biến-01', metric: 'soilMoisturePct', ts: 60_000, value: 31.5 },
    ]);
    expect((await store.queryRollup({ ...all, resolution: '1m' })).map((r) => r.count)).toEqual([1]);
    const left = main.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'readings%'").pluck().all();
    expect(left).toEqual([]);
    await store.close();

    // A second start finds nothing to move and keeps what it has.
    const again = new SqliteStore({ file, legacyDb: main });
    await again.start();
    expect(await again.query(all)).toHaveLength(1);
    await again.close();
    main.close();
  });

  it('reads before start and writes after close are refused with a StoreError', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-sqlite-store-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await expect(store.query({ fromTs: 0, toTs: 1 })).rejects.toThrow(/before start/);
    await store.start();
    await store.close();
    await expect(
      store.write([{ communeId: 'c', deviceId: 'd', metric: 'm', ts: 1, value: 1 }]),
    ).rejects.toMatchObject({ name: 'StoreError' });
  });

  it('writes small marked batches on the event loop, and hands them to the writer thread while another writer holds the lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-sqlite-store-'));
    dirs.push(dir);
    const { store, calls } = await countedStore(dir, 'write marked batch');
    const at = (i: number) => ({ communeId: 'c', deviceId: 'd', metric: 'm', ts: 1000 + i, value: i });
    const marks = (i: number) => ({ keys: [{ key: `k${i}`, receivedTs: i }], stampTs: 0, keep: 100 });
    await store.writeMarked([at(0), at(1)], marks(0));
    expect(calls).toEqual([]);
    // Another connection (as an ingest worker process would) holds the write lock: the batch
    // waits for it on the writer thread, never on the event loop.
    const other = new Database(join(dir, 'readings.sqlite'));
    other.prepare('BEGIN IMMEDIATE').run();
    const waiting = store.writeMarked([at(2)], marks(2));
    await new Promise((r) => setTimeout(r, 50));
    other.prepare('COMMIT').run();
    other.close();
    await waiting;
    expect(calls).toEqual([1]);
    // A larger batch (a saturated direct lane's) goes to the thread too.
    await store.writeMarked(
      Array.from({ length: 129 }, (_, i) => at(10 + i)),
      marks(3),
    );
    expect(calls).toEqual([1, 129]);
    expect((await store.query({ fromTs: 0, toTs: 10_000 })).length).toBe(132);
    expect(store.readMarks(10).keys).toEqual(['k0', 'k2', 'k3']);
    await store.close();
  });

  it('prunes in chunks of whole hours, deleting what one DELETE would, and nothing of another commune', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-sqlite-store-'));
    dirs.push(dir);
    const { store, calls } = await countedStore(dir, 'prune readings of', { pruneChunkRows: 50 });
    const chunks = calls;
    const HOUR = 3_600_000;
    const T0 = Date.UTC(2026, 10, 1);
    // 12 hours of 2 devices × 2 metrics every 3 minutes (80 rows an hour) in Tà Lài, and Lộc Tân alike.
    const rows = ['ta-lai', 'loc-tan'].flatMap((communeId) =>
      Array.from({ length: 12 * 20 }, (_, k) =>
        ['d1', 'd2'].flatMap((d) =>
          ['a', 'b'].map((metric) => ({
            communeId,
            deviceId: `${communeId}-${d}`,
            metric,
            ts: T0 + k * 180_000,
            value: k,
          })),
        ),
      ).flat(),
    );
    await store.write(rows);
    const counts = await store.prune({
      communeId: 'ta-lai',
      rawBeforeTs: T0 + 7 * HOUR,
      minuteBeforeTs: T0,
      hourBeforeTs: T0,
    });
    // 7 hours × 80 rows in chunks of about 50: each a whole hour, then one that finds none left.
    expect(counts).toEqual({ raw: 7 * 80, minute: 0, hour: 0 });
    expect(chunks).toEqual([80, 80, 80, 80, 80, 80, 80, 0]);
    const left = await store.query({ fromTs: 0, toTs: T0 + 24 * HOUR, limit: 100_000 });
    const taLai = left.filter((r) => r.communeId === 'ta-lai');
    expect(taLai).toHaveLength(5 * 80);
    expect(Math.min(...taLai.map((r) => r.ts))).toBe(T0 + 7 * HOUR);
    expect(left.filter((r) => r.communeId === 'loc-tan')).toHaveLength(12 * 80);
    // Again: nothing left to delete.
    expect(
      (
        await store.prune({
          communeId: 'ta-lai',
          rawBeforeTs: T0 + 7 * HOUR,
          minuteBeforeTs: T0,
          hourBeforeTs: T0,
        })
      ).raw,
    ).toBe(0);
    await store.close();
  });

  it('rolls up one hour per transaction, only the hours that hold readings, with the same buckets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-sqlite-store-'));
    dirs.push(dir);
    const { store, calls } = await countedStore(dir, 'rollup [');
    const HOUR = 3_600_000;
    const T0 = Date.UTC(2026, 10, 1);
    // Hours 0, 1 and 3 (none in hour 2), a reading every minute of one device.
    const rows = [0, 1, 3].flatMap((h) =>
      Array.from({ length: 60 }, (_, m) => ({
        communeId: 'ta-lai',
        deviceId: 'tl-soil-01',
        metric: 'soilMoisturePct',
        ts: T0 + h * HOUR + m * 60_000,
        value: h * 100 + m,
      })),
    );
    await store.write(rows);
    // From long before the first reading, as the nightly run asks, to the middle of hour 3.
    await store.rollup(T0 - 1000 * HOUR, T0 + 3 * HOUR + 30 * 60_000);
    // Hours 0, 1 and the half of hour 3: three transactions, none for the empty hours.
    expect(calls).toHaveLength(3);
    const hours = await store.queryRollup({ resolution: '1h', fromTs: 0, toTs: T0 + 10 * HOUR });
    expect(hours.map((r) => [(r.ts - T0) / HOUR, r.count, r.min, r.max])).toEqual([
      [0, 60, 0, 59],
      [1, 60, 100, 159],
    ]);
    const minutes = await store.queryRollup({ resolution: '1m', fromTs: 0, toTs: T0 + 10 * HOUR });
    expect(minutes).toHaveLength(60 + 60 + 30);
    expect(minutes.every((r) => r.count === 1)).toBe(true);
    await store.close();
  });

  it('turns SQLite’s own errors on a read into StoreErrors that say what was read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-sqlite-store-'));
    dirs.push(dir);
    const file = join(dir, 'readings.sqlite');
    const store = new SqliteStore({ file });
    await store.start();
    // Another process damages the file under the running store: its tables are gone.
    const other = new Database(file);
    other.exec('DROP TABLE readings; DROP TABLE readings_1h; DROP TABLE ingest_keys');
    other.close();
    const range = { fromTs: 0, toTs: Date.now() };
    for (const [what, read] of [
      ['query', () => store.query(range)],
      ['latest', () => store.latest({})],
      ['queryRollup', () => store.queryRollup({ ...range, resolution: '1h' })],
      ['rollup', () => store.rollup(0, 3_600_000)],
      ['read marks', async () => store.readMarks(10)],
    ] as const) {
      const err = await read().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, what).toBeInstanceOf(StoreError);
      expect((err as StoreError).message, what).toMatch(new RegExp(`^store: ${what}: no such table`));
    }
    await store.close();
  });
});
