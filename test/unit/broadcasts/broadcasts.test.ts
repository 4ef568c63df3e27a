import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import type { DeviceState } from '../../../services/availability/states.ts';
import { broadcastResults } from '../../../services/broadcasts/results.ts';
import { occurrences } from '../../../services/broadcasts/schedule.ts';
import { DeviceDirectory } from '../../../services/inventory/device-directory.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { type Db, openDb } from '../../../services/store/db.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const MIN = 60_000;
/** Monday 2 March 2026, 06:00 in Vietnam (23:00 UTC the day before). */
const T = Date.parse('2026-03-02T06:00:00+07:00');
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const HAMLETS = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ id: `ap-${n}`, name: `Ấp ${n}` }));

/** Six hamlets with one speaker each (ap-2's behind its own line), ap-7 with none; one bulletin. */
function commune() {
  return buildCommune({
    hamlets: HAMLETS,
    sites: HAMLETS.map((h, i) => ({
      id: `nvh-${i + 1}`,
      name: `Nhà văn hóa ${h.name}`,
      kind: 'cultural-house',
      hamlet: h.id,
      ...(i === 1 ? { uplink: 'net-2' } : {}),
    })),
    devices: [
      { id: 'net-2', type: 'uplink', name: 'Đường truyền ấp 2', site: 'nvh-2' },
      ...[1, 2, 3, 4, 5, 6].map((n) => ({
        id: `loa-${n}`,
        type: 'loudspeaker',
        name: `Cụm loa ấp ${n}`,
        site: `nvh-${n}`,
      })),
    ],
    extra: {
      broadcasts: [
        {
          id: 'sang',
          name: 'Bản tin sáng',
          at: '06:00',
          days: 'daily',
          durationMin: 30,
          confirmWithinMin: 15,
        },
      ],
    },
  });
}

/** A real SQLite file with the service's schema: intervals through IntervalLog, events as ingest stores them. */
function setup(now: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cx-broadcasts-'));
  dirs.push(dir);
  const db = openDb(join(dir, 'canhxa.sqlite'));
  dbs.push(db);
  const log = new IntervalLog(db);
  const clock = { now };
  const readModel = new SqliteReadModel({
    db,
    store: { queryRollup: () => Promise.reject(new Error('no store in this test')) },
    clock: () => clock.now,
  });
  const change = (deviceId: string, state: DeviceState, ts: number, reason = 'heartbeat', params = {}) =>
    log.transition({ deviceId, communeId: 'xa-thu', state, reason, params, ts, lastHeardTs: null });
  const insert = db.prepare(
    `INSERT INTO device_events (commune_id, device_id, ts, received_ts, type, severity, detail)
     VALUES ('xa-thu', ?, ?, ?, ?, 'info', ?)`,
  );
  const event = (deviceId: string, ts: number, detail: object, type = 'broadcast-played') =>
    insert.run(deviceId, ts, ts, type, JSON.stringify(detail));
  const directory = new DeviceDirectory({ communes: [commune()] });
  const results = (from = T - 60 * MIN, to = T + 120 * MIN) =>
    broadcastResults({ readModel, directory, clock: () => clock.now }, ['xa-thu'], {
      fromTs: from,
      toTs: to,
    });
  return { clock, change, event, results };
}

/** The evidence of the morning of T: one hamlet of each outcome. */
function seed(s: ReturnType<typeof setup>) {
  const since = T - 6 * 3_600_000;
  s.change('loa-1', 'up', since);
  s.event('loa-1', T + 31 * MIN, { broadcastId: 'sang', startedTs: T + 10_000, durationSec: 1800 });
  s.change('loa-2', 'up', since);
  s.change('loa-2', 'unreachable', T - 20 * MIN, 'upstream-down', {
    deviceId: 'net-2',
    name: 'Đường truyền ấp 2',
    type: 'uplink',
  });
  s.change('loa-3', 'up', since);
  s.change('loa-3', 'down', T - 40 * MIN, 'probe-timeout', { timeoutMs: 5000 });
  s.change('loa-4', 'up', since);
  // Played, but another bulletin, and then one that started too late to count.
  s.event('loa-4', T + 2 * MIN, { broadcastId: 'chieu' });
  s.event('loa-4', T + 16 * MIN, { broadcastId: 'sang' });
  s.change('loa-5', 'maintenance', since, 'maintenance');
  // loa-6: no evidence at all.
}

describe('broadcasts: schedule', () => {
  it('places 06:00 Vietnam time at 23:00 UTC the day before, on the listed weekdays only', () => {
    const b = { id: 'sang', name: 'Sáng', at: '06:00', durationMin: 30, confirmWithinMin: 15 };
    const week = { fromTs: T - 3_600_000, toTs: T + 7 * 86_400_000 - 3_600_000 };
    const daily = occurrences(
      'xa-thu',
      [{ ...b, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] }],
      week,
    );
    expect(daily).toHaveLength(7);
    expect(new Date(daily[0]!.startTs).toISOString()).toBe('2026-03-01T23:00:00.000Z');
    expect(daily[0]).toMatchObject({ endTs: T + 30 * MIN, confirmByTs: T + 15 * MIN });
    const some = occurrences('xa-thu', [{ ...b, days: ['mon', 'fri'] }], week);
    expect(some.map((o) => new Date(o.startTs + 7 * 3_600_000).toISOString().slice(0, 16))).toEqual([
      '2026-03-02T06:00',
      '2026-03-06T06:00',
    ]);
  });
});

describe('broadcasts: verdict per hamlet over a real SQLite file', () => {
  it('says which hamlets played the bulletin and why each other did not', () => {
    const s = setup(T + 3 * 3_600_000);
    seed(s);
    const [occ, ...rest] = s.results();
    expect(rest).toEqual([]);
    expect(occ).toMatchObject({ broadcastId: 'sang', startTs: T, played: 1, missed: 5 });
    const by = Object.fromEntries(occ!.hamlets.map((h) => [h.hamletId, h]));
    expect(Object.keys(by)).toEqual(['ap-1', 'ap-2', 'ap-3', 'ap-4', 'ap-5', 'ap-6']);
    expect(by['ap-1']).toMatchObject({
      outcome: 'played',
      confirmedBy: { deviceId: 'loa-1', startedTs: T + 10_000 },
      reason: { code: 'broadcast-played', params: { names: 'Cụm loa ấp 1' } },
    });
    expect(by['ap-2']).toMatchObject({
      outcome: 'missed',
      cause: 'uplink-down',
      reason: { code: 'broadcast-uplink-down', params: { names: 'Cụm loa ấp 2' } },
      upstream: { code: 'upstream-down', params: { deviceId: 'net-2', type: 'uplink' } },
    });
    expect(by['ap-3']).toMatchObject({
      outcome: 'missed',
      cause: 'speaker-down',
      upstream: { code: 'probe-timeout', params: { timeoutMs: 5000 } },
      speakers: [{ deviceId: 'loa-3', state: 'down' }],
    });
    expect(by['ap-4']).toMatchObject({ outcome: 'missed', cause: 'no-confirmation' });
    expect(by['ap-5']).toMatchObject({ outcome: 'missed', cause: 'maintenance' });
    expect(by['ap-6']).toMatchObject({
      outcome: 'missed',
      cause: 'unknown',
      reason: { code: 'broadcast-unknown' },
    });
  });

  it('keeps an unconfirmed hamlet pending while its window is open, and lists no bulletin yet to come', () => {
    const s = setup(T + 5 * MIN);
    seed(s);
    const [occ, ...rest] = s.results();
    expect(rest).toEqual([]);
    const by = Object.fromEntries(occ!.hamlets.map((h) => [h.hamletId, h.outcome]));
    expect(by).toMatchObject({ 'ap-3': 'pending', 'ap-4': 'pending', 'ap-6': 'pending' });
    s.clock.now = T - MIN;
    expect(s.results()).toEqual([]);
  });

  it('counts a confirmation without a broadcast id or start by the event time, and a speaker up for part of the window', () => {
    const s = setup(T + 3 * 3_600_000);
    s.change('loa-1', 'down', T - 60 * MIN, 'probe-timeout', { timeoutMs: 5000 });
    s.change('loa-1', 'up', T + 5 * MIN);
    s.change('loa-6', 'up', T - 60 * MIN);
    s.event('loa-6', T + 3 * MIN, {});
    const [occ] = s.results();
    const by = Object.fromEntries(occ!.hamlets.map((h) => [h.hamletId, h]));
    expect(by['ap-6']).toMatchObject({ outcome: 'played', confirmedBy: { startedTs: T + 3 * MIN } });
    expect(by['ap-1']).toMatchObject({ outcome: 'missed', cause: 'no-confirmation' });
  });
});
