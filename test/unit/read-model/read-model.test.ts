import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import type { DeviceState } from '../../../services/availability/states.ts';
import { DeviceDirectory } from '../../../services/inventory/device-directory.ts';
import { rollupResolution, type Span } from '../../../services/read-model/read-model.ts';
import { devicesInScope } from '../../../services/read-model/scope.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { type Db, openDb } from '../../../services/store/db.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import { miniCommune } from '../../fixtures/mini-commune.ts';

const T0 = Date.parse('2026-03-01T00:00:00+07:00');
const MIN = 60_000;
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A real SQLite file with the service's schema; intervals written through IntervalLog, as the engine does. */
function setup(now = T0) {
  const dir = mkdtempSync(join(tmpdir(), 'cx-read-model-'));
  dirs.push(dir);
  const db = openDb(join(dir, 'canhxa.sqlite'));
  dbs.push(db);
  const log = new IntervalLog(db);
  const clock = { now };
  const model = new SqliteReadModel({
    db,
    store: { queryRollup: () => Promise.reject(new Error('no store in this test')) },
    clock: () => clock.now,
  });
  const change = (deviceId: string, state: DeviceState, ts: number, reason = 'heartbeat', params = {}) =>
    log.transition({ deviceId, communeId: 'xa-thu', state, reason, params, ts, lastHeardTs: null });
  return { db, log, model, clock, change };
}

/** Each device's spans must tile: every span starts where the previous one of that device ended. */
function expectTiling(spans: readonly Span[]) {
  const last = new Map<string, number>();
  for (const s of spans) {
    const prev = last.get(s.deviceId);
    if (prev !== undefined) expect(s.startTs, s.deviceId).toBe(prev);
    expect(s.endTs).toBeGreaterThan(s.startTs);
    last.set(s.deviceId, s.endTs);
  }
}

describe('read model: state spans', () => {
  it('clips to [from, to), keeps reasons and params, and ends the open interval now', () => {
    const s = setup(T0 + 22 * MIN);
    s.change('cam-1', 'unknown', T0, 'awaiting-evidence');
    s.change('cam-1', 'up', T0 + 10 * MIN);
    s.change('cam-1', 'down', T0 + 20 * MIN, 'heartbeat-late', { seconds: 61 });
    const spans = [...s.model.spans(['cam-1'], { fromTs: T0 + 5 * MIN, toTs: T0 + 25 * MIN })];
    expect(spans).toEqual([
      {
        deviceId: 'cam-1',
        communeId: 'xa-thu',
        state: 'unknown',
        reason: 'awaiting-evidence',
        params: {},
        startTs: T0 + 5 * MIN,
        endTs: T0 + 10 * MIN,
        open: false,
      },
      expect.objectContaining({ state: 'up', startTs: T0 + 10 * MIN, endTs: T0 + 20 * MIN, open: false }),
      expect.objectContaining({
        state: 'down',
        reason: 'heartbeat-late',
        params: { seconds: 61 },
        startTs: T0 + 20 * MIN,
        endTs: T0 + 22 * MIN,
        open: true,
      }),
    ]);
    // Later, the open interval is clipped by the period's end instead.
    s.clock.now = T0 + 60 * MIN;
    expect([...s.model.spans(['cam-1'], { fromTs: T0, toTs: T0 + 25 * MIN })].at(-1)).toMatchObject({
      endTs: T0 + 25 * MIN,
      open: true,
    });
  });

  it('leaves out intervals outside the period, empty ones, and a period with from >= to', () => {
    const s = setup(T0 + 60 * MIN);
    s.change('cam-1', 'up', T0);
    s.change('cam-1', 'down', T0 + 10 * MIN);
    s.change('cam-1', 'up', T0 + 10 * MIN); // a zero-length interval: no time, no span
    s.change('cam-1', 'down', T0 + 30 * MIN);
    const inside = [...s.model.spans(['cam-1'], { fromTs: T0 + 5 * MIN, toTs: T0 + 20 * MIN })];
    expect(inside.map((x) => [x.state, x.startTs - T0, x.endTs - T0])).toEqual([
      ['up', 5 * MIN, 10 * MIN],
      ['up', 10 * MIN, 20 * MIN],
    ]);
    expect([...s.model.spans(['cam-1'], { fromTs: T0 - 20 * MIN, toTs: T0 })]).toEqual([]);
    expect([...s.model.spans(['cam-1'], { fromTs: T0 + MIN, toTs: T0 + MIN })]).toEqual([]);
    expect([...s.model.spans(['nobody'], { fromTs: T0, toTs: T0 + MIN })]).toEqual([]);
    expect([...s.model.spans([], { fromTs: T0, toTs: T0 + MIN })]).toEqual([]);
  });

  it("returns a flapping device's year complete: 2,500 intervals, in order, past the old 1,000-row cap", () => {
    const s = setup(T0 + 366 * 86_400_000);
    const step = Math.floor((365 * 86_400_000) / 2500);
    for (let i = 0; i < 2500; i++) s.change('wifi-1', i % 2 === 0 ? 'up' : 'down', T0 + i * step);
    const year = { fromTs: T0, toTs: T0 + 365 * 86_400_000 };
    expect(s.log.history('wifi-1', year.fromTs, year.toTs)).toHaveLength(1000);
    const spans = [...s.model.spans(['wifi-1'], year)];
    expect(spans).toHaveLength(2500);
    expectTiling(spans);
    expect(spans[0]!.startTs).toBe(T0);
    expect(spans.at(-1)).toMatchObject({ endTs: year.toTs, open: true, state: 'down' });
    expect(spans.map((x) => x.state).slice(0, 4)).toEqual(['up', 'down', 'up', 'down']);
  });

  it('merges several devices in time order (start, then device id), each page-sized and complete', () => {
    const s = setup(T0 + 10_000 * MIN);
    const ids = ['wifi-1', 'cam-1', 'net-1'];
    ids.forEach((id, k) => {
      for (let i = 0; i < 1200; i++) s.change(id, i % 2 === 0 ? 'up' : 'degraded', T0 + (i * 3 + k) * MIN);
    });
    s.change('soil-1', 'up', T0 + 7 * MIN); // one device with a single, open interval
    const spans = [...s.model.spans([...ids, 'soil-1'], { fromTs: T0, toTs: T0 + 9000 * MIN })];
    expect(spans).toHaveLength(3 * 1200 + 1);
    for (let i = 1; i < spans.length; i++) {
      const [a, b] = [spans[i - 1]!, spans[i]!];
      expect(a.startTs < b.startTs || (a.startTs === b.startTs && a.deviceId <= b.deviceId)).toBe(true);
    }
    const byDevice = (id: string) => spans.filter((x) => x.deviceId === id);
    for (const id of ids) {
      expect(byDevice(id)).toHaveLength(1200);
      expectTiling(byDevice(id));
    }
    expect(byDevice('soil-1')).toEqual([
      expect.objectContaining({ startTs: T0 + 7 * MIN, endTs: T0 + 9000 * MIN, open: true }),
    ]);
  });
});

describe('read model: scopes', () => {
  const directory = new DeviceDirectory({ communes: [miniCommune()] });
  const ids = (kind: 'device' | 'site' | 'hamlet' | 'commune', id: string) =>
    devicesInScope(directory, { kind, id })?.map((d) => d.id);

  it('turns a device, site, hamlet or commune into its devices, and an unknown one into undefined', () => {
    expect(ids('device', 'cam-1')).toEqual(['cam-1']);
    expect(ids('site', 'nvh-1')).toEqual(['net-1', 'cam-1', 'wifi-1']);
    expect(ids('site', 'farm-1')).toEqual(['gw-1', 'soil-1', 'cam-2']);
    expect(ids('hamlet', 'ap-1')).toHaveLength(6);
    expect(ids('commune', 'xa-thu')).toHaveLength(6);
    expect(ids('hamlet', 'ap-9')).toBeUndefined();
    expect(ids('commune', 'ta-lai')).toBeUndefined();
  });

  it("reads a site's spans: only that site's devices", () => {
    const s = setup(T0 + 60 * MIN);
    for (const id of ['net-1', 'cam-1', 'wifi-1', 'gw-1']) s.change(id, 'up', T0);
    const site = ids('site', 'nvh-1')!;
    const spans = [...s.model.spans(site, { fromTs: T0, toTs: T0 + 60 * MIN })];
    expect(spans.map((x) => x.deviceId)).toEqual(['cam-1', 'net-1', 'wifi-1']);
  });
});

describe('read model: events and rollups', () => {
  it('reads events in [from, to) in time order, the earliest `limit`, with their detail', () => {
    const s = setup();
    const insert = s.db.prepare(
      `INSERT INTO device_events (commune_id, device_id, ts, received_ts, type, severity, detail)
       VALUES ('xa-thu', ?, ?, ?, ?, ?, ?)`,
    );
    insert.run('cam-1', T0 + 3 * MIN, T0 + 3 * MIN + 40, 'tamper', 'critical', JSON.stringify({ cửa: 'mở' }));
    insert.run('cam-1', T0 + MIN, T0 + MIN + 40, 'reboot', 'info', null);
    insert.run('wifi-1', T0 + 2 * MIN, T0 + 2 * MIN, 'reboot', 'info', null);
    insert.run('cam-1', T0 + 9 * MIN, T0 + 9 * MIN, 'reboot', 'info', null);
    const period = { fromTs: T0 + MIN, toTs: T0 + 9 * MIN };
    expect(s.model.events(['cam-1'], period, 100)).toEqual([
      {
        deviceId: 'cam-1',
        communeId: 'xa-thu',
        ts: T0 + MIN,
        receivedTs: T0 + MIN + 40,
        type: 'reboot',
        severity: 'info',
        detail: null,
      },
      expect.objectContaining({ type: 'tamper', severity: 'critical', detail: { cửa: 'mở' } }),
    ]);
    expect(s.model.events(['cam-1', 'wifi-1'], period, 2).map((e) => e.deviceId)).toEqual([
      'cam-1',
      'wifi-1',
    ]);
    expect(s.model.events(['cam-1'], { fromTs: T0, toTs: T0 }, 10)).toEqual([]);
    // Of one type only: the limit counts only those, so many others cannot crowd them out.
    expect(s.model.events(['cam-1', 'wifi-1'], period, 1, { types: ['tamper'] }).map((e) => e.type)).toEqual([
      'tamper',
    ]);
  });

  it('chooses 1-minute rollups up to two days and 1-hour beyond', () => {
    expect(rollupResolution({ fromTs: 0, toTs: 2 * 86_400_000 })).toBe('1m');
    expect(rollupResolution({ fromTs: 0, toTs: 2 * 86_400_000 + 1 })).toBe('1h');
  });

  it("reads the store's rollups at the chosen resolution", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-read-model-store-'));
    dirs.push(dir);
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    try {
      const r = (ts: number, value: number) => ({
        communeId: 'xa-thu',
        deviceId: 'soil-1',
        metric: 'soilMoisturePct',
        ts,
        value,
      });
      await store.write([r(T0 + 10_000, 30), r(T0 + 20_000, 40), r(T0 + 3_600_000 + 5_000, 50)]);
      await store.rollup(T0, T0 + 2 * 3_600_000);
      const db = openDb(':memory:');
      dbs.push(db);
      const model = new SqliteReadModel({ db, store, clock: () => T0 });
      const day = await model.rollups({ deviceId: 'soil-1', fromTs: T0, toTs: T0 + 86_400_000 });
      expect(day.resolution).toBe('1m');
      expect(day.bucketMs).toBe(60_000);
      expect(day.rows.map((x) => [x.ts - T0, x.mean, x.count])).toEqual([
        [0, 35, 2],
        [3_600_000, 50, 1],
      ]);
      const week = await model.rollups({ deviceId: 'soil-1', fromTs: T0, toTs: T0 + 7 * 86_400_000 });
      expect(week.resolution).toBe('1h');
      expect(week.rows.map((x) => [x.ts - T0, x.count])).toEqual([
        [0, 2],
        [3_600_000, 1],
      ]);
    } finally {
      await store.close();
    }
  });
});
