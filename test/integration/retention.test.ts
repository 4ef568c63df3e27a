import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import cron from 'node-cron';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommuneFile } from '../../config/schema/commune.ts';
import { StoreError } from '../../services/shared/errors.ts';
import { createLogger, type Logger } from '../../services/shared/logger.ts';
import { type Db, openDb } from '../../services/store/db.ts';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { InfluxStore } from '../../services/store/influxdb/influx-store.ts';
import {
  type CommuneRetention,
  communeRetentions,
  prunePolicy,
  RetentionJob,
} from '../../services/store/retention.ts';
import type { PrunePolicy, Reading, Store } from '../../services/store/store.ts';
import { dropDatabase, type RunningInfluxd, startInfluxd } from '../setup/influxd.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A whole UTC hour; 13:30 in Hồ Chí Minh City. */
const T0 = Date.UTC(2025, 5, 1, 6, 0, 0);

const reading = (communeId: string, deviceId: string, ts: number, value = 1): Reading => ({
  communeId,
  deviceId,
  metric: 'latencyMs',
  ts,
  value,
});

const commune = (
  id: string,
  retention = { rawDays: 30, minuteDays: 400, hourDays: 3650 },
): CommuneRetention => ({
  id,
  retention,
});

/** A logger whose lines (parsed) the test can read. */
/**
 * The daily-run setup: readings 5 days, 36 h and 12 h old in two communes (value = age in hours),
 * xa-a keeping raw data 1 day and xa-b the defaults; `now` is 02:30 the next day in Vietnam.
 */
async function twoCommunesDaily(store: Store) {
  const now = T0 + 19 * HOUR + 30 * MIN;
  const ages = [5 * DAY, 36 * HOUR, 12 * HOUR];
  await store.write(
    ['xa-a', 'xa-b'].flatMap((c) => ages.map((age) => reading(c, 'gw-01', now - age, age / HOUR))),
  );
  const short = commune('xa-a', { rawDays: 1, minuteDays: 2, hourDays: 3 });
  const job = new RetentionJob({
    store,
    communes: [short, commune('xa-b')],
    log: createLogger(),
    clock: () => now,
  });
  return { now, job };
}

function capturedLog(): { log: Logger; lines: Array<{ level: number; msg: string; [k: string]: unknown }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

/** The store, with every rollup and prune call recorded and optionally failing. */
function recording(
  store: Store,
  fail: { rollup?: boolean; pruneCommune?: string } = {},
): { store: Pick<Store, 'rollup' | 'prune'>; rollups: Array<[number, number]>; prunes: PrunePolicy[] } {
  const rollups: Array<[number, number]> = [];
  const prunes: PrunePolicy[] = [];
  return {
    rollups,
    prunes,
    store: {
      rollup: async (from, to) => {
        rollups.push([from, to]);
        if (fail.rollup) throw new StoreError('rollup refused by the test');
        return store.rollup(from, to);
      },
      prune: async (policy) => {
        prunes.push(policy);
        if (policy.communeId === fail.pruneCommune) throw new StoreError('prune refused by the test');
        return store.prune(policy);
      },
    },
  };
}

describe('retention configuration', () => {
  it("a commune's own keys override the service's, key by key", () => {
    const service = { retention: { rawDays: 30, minuteDays: 400, hourDays: 3650 } };
    const files = [
      { commune: { id: 'ta-lai' }, retention: { rawDays: 7, hourDays: 7300 } },
      { commune: { id: 'phu-lap' } },
    ] as unknown as CommuneFile[];
    expect(communeRetentions(service, files)).toEqual([
      { id: 'ta-lai', retention: { rawDays: 7, minuteDays: 400, hourDays: 7300 } },
      { id: 'phu-lap', retention: { rawDays: 30, minuteDays: 400, hourDays: 3650 } },
    ]);
  });

  it('prune bounds are whole UTC hours, N days back', () => {
    const now = T0 + 25 * MIN;
    expect(prunePolicy(commune('a', { rawDays: 1, minuteDays: 2, hourDays: 3 }), now)).toEqual({
      communeId: 'a',
      rawBeforeTs: T0 - DAY,
      minuteBeforeTs: T0 - 2 * DAY,
      hourBeforeTs: T0 - 3 * DAY,
    });
  });
});

describe('RetentionJob on the embedded SQLite store', () => {
  let dir: string;
  let db: Db;
  let store: SqliteStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-retention-'));
    db = openDb(join(dir, 'canhxa.sqlite'));
    store = new SqliteStore({ file: join(dir, 'readings.sqlite'), legacyDb: db });
    await store.start();
  });
  afterEach(async () => {
    await store.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const minutes = async (communeId?: string) =>
    (await store.queryRollup({ fromTs: 0, toTs: T0 + 30 * DAY, resolution: '1m', communeId })).map(
      (r) => r.ts,
    );
  const hours = async (communeId?: string) =>
    (await store.queryRollup({ fromTs: 0, toTs: T0 + 30 * DAY, resolution: '1h', communeId })).map(
      (r) => r.ts,
    );

  it('the minutely run rolls up completed minutes after a lag, and each completed hour once', async () => {
    const rows: Reading[] = [];
    for (let m = -70; m <= 5; m++) rows.push(reading('xa-a', 'cam-01', T0 + m * MIN + 15_000, m));
    await store.write(rows);
    const rec = recording(store);
    const job = new RetentionJob({ store: rec.store, communes: [], log: createLogger(), clock: () => T0 });

    expect(await job.rollupRecent(T0 + 5 * MIN + 30_000)).toBe(true);
    // Minutes [T0-7m, T0+3m) by the minute window and [T0-2h, T0) by the hour window; T0+3m ends
    // 2.5 min before "now", inside the lag, so it waits.
    const want = [];
    for (let m = -70; m <= 2; m++) want.push(T0 + m * MIN);
    expect(await minutes()).toEqual(want);
    expect(await hours()).toEqual([T0 - 2 * HOUR, T0 - HOUR]);
    expect(rec.rollups).toEqual([
      [T0 - 7 * MIN, T0 + 3 * MIN],
      [T0 - 2 * HOUR, T0],
    ]);

    // A minute later only the minute window runs; the hour has not changed.
    await job.rollupRecent(T0 + 6 * MIN + 30_000);
    expect(rec.rollups.slice(2)).toEqual([[T0 - 6 * MIN, T0 + 4 * MIN]]);
    expect(await minutes()).toContain(T0 + 3 * MIN);
    expect(await minutes()).not.toContain(T0 + 4 * MIN);
  });

  it('rolls up readings stored late (a replay, a backfill) at the next minutely run, not the next day', async () => {
    const job = new RetentionJob({ store, communes: [], log: createLogger(), clock: () => T0 });
    const now = T0 + 5 * MIN + 30_000;
    expect(await job.rollupRecent(now)).toBe(true);
    // A gateway replays three days of hourly readings it buffered, after that run.
    const rows: Reading[] = [];
    for (let h = 72; h >= 3; h--) rows.push(reading('xa-a', 'ap-01', T0 - h * HOUR + 15_000, h));
    await store.write(rows);
    job.noteStored(Math.min(...rows.map((r) => r.ts)));
    expect(await job.rollupRecent(now + MIN)).toBe(true);
    expect(await hours()).toEqual(rows.map((r) => Math.floor(r.ts / HOUR) * HOUR));
    // A live reading inside the lookback does not widen the run.
    const rec = recording(store);
    const live = new RetentionJob({ store: rec.store, communes: [], log: createLogger(), clock: () => T0 });
    live.noteStored(now - MIN);
    await live.rollupRecent(now);
    expect(rec.rollups[0]).toEqual([T0 - 7 * MIN, T0 + 3 * MIN]);
  });

  it("the daily run prunes each commune by its own retention and leaves the other's data", async () => {
    const { now, job } = await twoCommunesDaily(store);

    const outcomes = await job.runOnce(now);
    expect(outcomes.map((o) => [o.policy.communeId, o.ok])).toEqual([
      ['xa-a', true],
      ['xa-b', true],
    ]);
    // 5 days: raw, minute and hour gone; 36 h: raw gone, rollups kept; 12 h: all kept.
    expect(outcomes[0]!.counts).toEqual({ raw: 2, minute: 1, hour: 1 });
    expect(outcomes[1]!.counts).toEqual({ raw: 0, minute: 0, hour: 0 });
    const raw = await store.query({ fromTs: 0, toTs: now, communeId: 'xa-a' });
    expect(raw.map((r) => now - r.ts)).toEqual([12 * HOUR]);
    expect(await minutes('xa-a')).toEqual(
      [now - 36 * HOUR, now - 12 * HOUR].map((t) => Math.floor(t / MIN) * MIN),
    );
    expect(await hours('xa-a')).toEqual(
      [now - 36 * HOUR, now - 12 * HOUR].map((t) => Math.floor(t / HOUR) * HOUR),
    );
    expect(await store.query({ fromTs: 0, toTs: now, communeId: 'xa-b' })).toHaveLength(3);
    expect(await minutes('xa-b')).toHaveLength(3);
    expect(await hours('xa-b')).toHaveLength(3);
  });

  it('state intervals (KPI evidence) survive a prune of everything else, however old', async () => {
    const now = T0;
    const insert = db.prepare(
      `INSERT INTO state_intervals (commune_id, device_id, state, reason, params, start_ts, end_ts)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run('xa-a', 'cam-01', 'up', 'heartbeat', null, now - 4000 * DAY, now - 3000 * DAY);
    insert.run('xa-a', 'cam-01', 'down', 'heartbeatLate', '{"lateSec":90}', now - 3000 * DAY, now - 2 * DAY);
    insert.run('xa-a', 'cam-01', 'up', 'heartbeat', null, now - 2 * DAY, null);
    const intervals = () => db.prepare('SELECT * FROM state_intervals ORDER BY id').all();
    const before = intervals();
    await store.write([
      reading('xa-a', 'cam-01', now - 3000 * DAY),
      reading('xa-a', 'cam-01', now - 2 * DAY),
    ]);
    const tiny = commune('xa-a', { rawDays: 1, minuteDays: 1, hourDays: 1 });
    const job = new RetentionJob({ store, communes: [tiny], log: createLogger(), clock: () => now });

    const [outcome] = await job.runOnce(now);
    expect(outcome?.counts).toEqual({ raw: 2, minute: 2, hour: 2 });
    expect(await store.query({ fromTs: -1e15, toTs: now + DAY })).toEqual([]);
    expect(intervals()).toEqual(before);
    expect(before).toHaveLength(3);
  });

  it('readings never rolled up (the service was down) are rolled up before their raw rows go', async () => {
    const now = T0;
    await store.write([
      reading('xa-a', 'cam-01', now - 10 * DAY, 4),
      reading('xa-a', 'cam-01', now - 10 * DAY + 1, 6),
    ]);
    const job = new RetentionJob({
      store,
      communes: [commune('xa-a', { rawDays: 1, minuteDays: 400, hourDays: 3650 })],
      log: createLogger(),
      clock: () => now,
    });
    await job.runOnce(now);
    expect(await store.query({ fromTs: 0, toTs: now, communeId: 'xa-a' })).toEqual([]);
    const [m] = await store.queryRollup({ fromTs: 0, toTs: now, resolution: '1m' });
    const [h] = await store.queryRollup({ fromTs: 0, toTs: now, resolution: '1h' });
    expect(m).toMatchObject({ ts: now - 10 * DAY, min: 4, max: 6, mean: 5, count: 2 });
    expect(h).toMatchObject({ ts: now - 10 * DAY, min: 4, max: 6, mean: 5, count: 2 });
  });

  it('when the rollup fails nothing is pruned, and a person is told (error)', async () => {
    await store.write([reading('xa-a', 'cam-01', T0 - 10 * DAY)]);
    const rec = recording(store, { rollup: true });
    const { log, lines } = capturedLog();
    const short = commune('xa-a', { rawDays: 1, minuteDays: 1, hourDays: 1 });
    const job = new RetentionJob({ store: rec.store, communes: [short], log, clock: () => T0 });

    const outcomes = await job.runOnce(T0);
    expect(outcomes).toEqual([{ policy: prunePolicy(short, T0), ok: false }]);
    expect(rec.prunes).toEqual([]);
    expect(await store.query({ fromTs: 0, toTs: T0 })).toHaveLength(1);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toContain('rollup failed');
    const skipped = lines.find((l) => l.msg === 'retention prune skipped: rollup failed');
    expect(skipped).toMatchObject({ level: 50, mod: 'store.retention', communes: ['xa-a'] });
  });

  it("one commune's failed prune does not stop the next one", async () => {
    await store.write(['xa-a', 'xa-b'].map((c) => reading(c, 'cam-01', T0 - 10 * DAY)));
    const rec = recording(store, { pruneCommune: 'xa-a' });
    const { log, lines } = capturedLog();
    const short = { rawDays: 1, minuteDays: 1, hourDays: 1 };
    const job = new RetentionJob({
      store: rec.store,
      communes: [commune('xa-a', short), commune('xa-b', short)],
      log,
      clock: () => T0,
    });
    const outcomes = await job.runOnce(T0);
    expect(outcomes.map((o) => o.ok)).toEqual([false, true]);
    expect((await store.query({ fromTs: 0, toTs: T0 })).map((r) => r.communeId)).toEqual(['xa-a']);
    expect(lines.find((l) => l.msg === 'retention prune failed')).toMatchObject({
      level: 50,
      communeId: 'xa-a',
    });
  });

  it('start schedules the rollup every minute and the prune at 02:30 Asia/Ho_Chi_Minh; stop cancels both', async () => {
    const job = new RetentionJob({
      store,
      communes: [commune('xa-a')],
      log: createLogger(),
      clock: Date.now,
    });
    const names = () =>
      [...cron.getTasks().values()].map((t) => t.name).filter((n) => n?.startsWith('retention'));
    try {
      job.start();
      job.start(); // a second start is a no-op, not a second schedule
      expect(names().sort()).toEqual(['retention-prune', 'retention-rollup']);
      const { rollup, prune } = job.nextRuns();
      expect(rollup!.getTime() - Date.now()).toBeLessThanOrEqual(60_000);
      expect(rollup!.getUTCSeconds()).toBe(20);
      // Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving): 02:30 there is 19:30 UTC.
      expect([prune!.getUTCHours(), prune!.getUTCMinutes()]).toEqual([19, 30]);
      expect(prune!.getTime() - Date.now()).toBeLessThanOrEqual(DAY);
    } finally {
      await job.stop();
    }
    expect(names()).toEqual([]);
    expect(job.nextRuns()).toEqual({ rollup: null, prune: null });
    await job.stop();
  });
});

describe('RetentionJob on a real InfluxDB', () => {
  let server: RunningInfluxd;
  beforeAll(async () => {
    server = await startInfluxd();
  });
  afterAll(async () => server?.stop());

  it('the daily run rolls up, prunes the commune past its retention and keeps the other', async () => {
    const store = new InfluxStore({ url: server.url, database: 'retention' });
    await store.start();
    try {
      const { now, job } = await twoCommunesDaily(store);

      const outcomes = await job.runOnce(now);
      expect(outcomes.map((o) => [o.policy.communeId, o.ok, o.counts])).toEqual([
        ['xa-a', true, undefined],
        ['xa-b', true, undefined],
      ]);
      const all = { fromTs: 0, toTs: now + DAY };
      expect((await store.query({ ...all, communeId: 'xa-a' })).map((r) => r.value)).toEqual([12]);
      expect((await store.query({ ...all, communeId: 'xa-b' })).map((r) => r.value)).toEqual([120, 36, 12]);
      const rolled = async (resolution: '1m' | '1h', communeId: string) =>
        (await store.queryRollup({ ...all, resolution, communeId })).map((r) => [r.mean, r.count]);
      expect(await rolled('1m', 'xa-a')).toEqual([
        [36, 1],
        [12, 1],
      ]);
      expect(await rolled('1h', 'xa-a')).toEqual([
        [36, 1],
        [12, 1],
      ]);
      expect(await rolled('1m', 'xa-b')).toEqual([
        [120, 1],
        [36, 1],
        [12, 1],
      ]);
      expect(await rolled('1h', 'xa-b')).toHaveLength(3);
    } finally {
      await store.close();
      await dropDatabase(server.url, 'retention');
    }
  });
});

describe('InfluxStore rollup and prune on InfluxDB 2.x', () => {
  it('reject with a StoreError that says why, and send no INTO or DELETE', async () => {
    // 2.x answers /ping and SELECT on its v1 compatibility API but has no INTO or DELETE there.
    const statements: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.url?.startsWith('/ping')) {
          res.writeHead(204, { 'X-Influxdb-Version': 'v2.7.11' }).end();
          return;
        }
        statements.push(new URLSearchParams(body).get('q') ?? '');
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":"not authorized"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store = new InfluxStore({ url, database: 'canhxa', token: 'tok' });
    try {
      await store.start();
      statements.length = 0;
      const policy = { communeId: 'xa-a', rawBeforeTs: T0, minuteBeforeTs: T0, hourBeforeTs: T0 };
      await expect(store.rollup(T0, T0 + HOUR)).rejects.toThrow(
        /needs InfluxDB 1\.x \(server is v2\.7\.11\)/,
      );
      await expect(store.prune(policy)).rejects.toBeInstanceOf(StoreError);
      expect(statements).toEqual([]);
    } finally {
      await store.close();
      server.close();
    }
  });
});
