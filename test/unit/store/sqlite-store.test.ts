import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDb } from '../../../services/store/db.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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
});
