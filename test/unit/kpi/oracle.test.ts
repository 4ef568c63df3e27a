import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import type { DeviceState } from '../../../services/availability/states.ts';
import { runKpis } from '../../../services/kpi/evaluate.ts';
import { periodContaining } from '../../../services/kpi/periods.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { openDb } from '../../../services/store/db.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';
import { prng } from '../../setup/helpers.ts';

/**
 * An independent oracle: the commune's state second by second over the period, from the raw
 * scenario (base states, overlapping maintenance windows, restart gaps), with local time from
 * Intl's Asia/Ho_Chi_Minh zone. It shares no code with services/kpi; it must agree with the
 * engine (intervals written to a real SQLite file, read back through the read model) to the second.
 */

const S = 1000;
const DAY = 86_400 * S;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const fmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  hourCycle: 'h23',
  weekday: 'short',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});
const hourCache = new Map<number, { hourOfDay: number; weekday: string; date: string }>();
/** Local time by Intl, looked up once per UTC hour (Vietnam's offset is whole hours, so minutes match UTC's). */
function local(ts: number) {
  const key = Math.floor(ts / 3_600_000);
  let v = hourCache.get(key);
  if (!v) {
    const p = Object.fromEntries(fmt.formatToParts(new Date(key * 3_600_000)).map((x) => [x.type, x.value]));
    v = {
      hourOfDay: Number(p.hour),
      weekday: p.weekday!.toLowerCase(),
      date: `${p.year}-${p.month}-${p.day}`,
    };
    hourCache.set(key, v);
  }
  return { minuteOfDay: v.hourOfDay * 60 + new Date(ts).getUTCMinutes(), weekday: v.weekday, date: v.date };
}

type Bucket = 'ok' | 'bad' | 'maint' | 'unk';
const BUCKETS: Record<DeviceState, Bucket> = {
  up: 'ok',
  degraded: 'ok',
  down: 'bad',
  unreachable: 'bad',
  maintenance: 'maint',
  unknown: 'unk',
};

interface DeviceSpec {
  id: string;
  type: string;
  site: string;
  commissionedAt: string;
  retiredAt?: string;
}
const DEVICES: Omit<DeviceSpec, 'commissionedAt'>[] = [
  { id: 'net-1', type: 'uplink', site: 's1' },
  { id: 'net-2', type: 'uplink', site: 's2' },
  { id: 'loa-1', type: 'loudspeaker', site: 's1' },
  { id: 'loa-2', type: 'loudspeaker', site: 's1' },
  { id: 'loa-3', type: 'loudspeaker', site: 's2' },
  { id: 'wifi-1', type: 'wifi-ap', site: 's2' },
  { id: 'cam-1', type: 'camera', site: 's3' },
  { id: 'cam-2', type: 'camera', site: 's4' },
  { id: 'cam-3', type: 'camera', site: 's4' },
];
const SITE_HAMLET: Record<string, string> = { s1: 'h1', s2: 'h2', s3: 'h3', s4: 'h3' };
const SITE_LINE: Record<string, string> = { s1: 'net-1', s2: 'net-2', s3: 'net-1', s4: 'net-1' };
const POP: Record<string, number | undefined> = { h1: 1200, h2: 800, h3: undefined };

/** In service at this second? (Wi-Fi 06:00–22:00; loudspeakers: 06:00 for 30 min daily, 17:00 for 45 min Mon/Wed/Fri.) */
function inService(type: string, ts: number): boolean {
  const { minuteOfDay: m, weekday } = local(ts);
  if (type === 'wifi-ap') return m >= 360 && m < 1320;
  if (type === 'loudspeaker')
    return (m >= 360 && m < 390) || (['mon', 'wed', 'fri'].includes(weekday) && m >= 1020 && m < 1065);
  return true;
}

const midnightOf = (date: string) => Date.parse(`${date}T00:00:00+07:00`);

function scenario(seed: number) {
  const r = prng(seed);
  const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1));
  const kind = r() < 0.6 ? ('month' as const) : ('quarter' as const);
  const anchor = Date.parse(`2026-${String(int(1, 12)).padStart(2, '0')}-10T00:00:00+07:00`);
  const period = periodContaining(kind, anchor);
  const len = period.toTs - period.fromTs;
  const nowTs = r() < 0.3 ? period.fromTs + Math.floor((len * int(30, 90)) / 100 / S) * S : period.toTs + DAY;
  const dateOf = (ts: number) => local(ts).date;
  const devices: DeviceSpec[] = DEVICES.map((d) => {
    const commissioned =
      r() < 0.3 ? dateOf(period.fromTs + int(1, Math.floor(len / DAY) - 2) * DAY) : '2025-12-01';
    const retire =
      r() < 0.25 ? dateOf(Math.max(midnightOf(commissioned), period.fromTs) + int(1, 20) * DAY) : undefined;
    return {
      ...d,
      commissionedAt: commissioned,
      ...(retire && retire > commissioned ? { retiredAt: retire } : {}),
    };
  });
  // Base states: back-to-back random stretches from before the period to after it, on whole seconds.
  const states: DeviceState[] = ['up', 'up', 'up', 'degraded', 'down', 'unreachable', 'unknown'];
  type Base = { ts: number; state: DeviceState; cause?: string; tamper?: boolean };
  const base = new Map<string, Base[]>();
  for (const d of devices) {
    const list: Base[] = [];
    for (let t = period.fromTs - int(0, 2) * DAY - int(0, 3600) * S; t < period.toTs + DAY; ) {
      const state = states[int(0, states.length - 1)]!;
      // A camera degraded is half the time covered (tampered), half something milder.
      const tamper = d.type === 'camera' && state === 'degraded' && r() < 0.5;
      list.push({
        ts: t,
        state,
        ...(state === 'unreachable' ? { cause: SITE_LINE[d.site]! } : {}),
        ...(tamper ? { tamper } : {}),
      });
      t += (r() < 0.6 ? int(10, 7200) : int(7200, 3 * 86_400)) * S;
    }
    base.set(d.id, list);
  }
  // Maintenance windows (overlapping each other and anything) and restart gaps (whole commune).
  const window = () => {
    const a = period.fromTs + int(0, Math.floor(len / S)) * S;
    return { from: a, to: a + int(60, 2 * 86_400) * S };
  };
  const maint = new Map(devices.map((d) => [d.id, Array.from({ length: int(0, 3) }, window)]));
  const gaps = Array.from({ length: int(0, 2) }, window);
  return { kind, period, nowTs, devices, base, maint, gaps };
}
type Scenario = ReturnType<typeof scenario>;

/** The oracle's state of a device at a second: restart gap, else maintenance, else its base state. */
function stateAt(
  sc: Scenario,
  id: string,
  ts: number,
): { state: DeviceState; cause?: string; tamper?: boolean } | null {
  if (sc.gaps.some((g) => ts >= g.from && ts < g.to)) return { state: 'unknown' };
  if (sc.maint.get(id)!.some((m) => ts >= m.from && ts < m.to)) return { state: 'maintenance' };
  let cur: { state: DeviceState; cause?: string; tamper?: boolean } | null = null;
  for (const b of sc.base.get(id)!) {
    if (b.ts > ts) break;
    cur = b;
  }
  return cur;
}

/** Flattens the scenario into state transitions (what the availability engine would have logged). */
function writeIntervals(sc: Scenario, log: IntervalLog) {
  for (const d of sc.devices) {
    const cuts = new Set<number>();
    for (const b of sc.base.get(d.id)!) cuts.add(b.ts);
    for (const w of [...sc.maint.get(d.id)!, ...sc.gaps]) cuts.add(w.from).add(w.to);
    let last = '';
    for (const ts of [...cuts].sort((a, b) => a - b)) {
      const s = stateAt(sc, d.id, ts);
      if (!s) continue;
      const key = `${s.state}|${s.cause ?? ''}|${s.tamper ?? ''}`;
      if (key === last) continue;
      last = key;
      const reason = s.tamper
        ? 'camera-covered'
        : s.state === 'unreachable'
          ? 'uplink-down'
          : s.state === 'maintenance'
            ? 'maintenance'
            : 'heartbeat';
      log.transition({
        deviceId: d.id,
        communeId: 'xa-thu',
        state: s.state,
        reason,
        params: s.cause ? { deviceId: s.cause } : {},
        ts,
        lastHeardTs: null,
      });
    }
  }
}

/** Code 7: degraded with the lens covered (ok for uptime, bad for the untampered-camera figure). */
const CODE: DeviceState[] = [
  'unknown',
  'up',
  'degraded',
  'down',
  'unreachable',
  'maintenance',
  'unknown',
  'degraded',
];
const BUCKET_CODE: Record<Bucket, number> = { ok: 1, bad: 2, unk: 3, maint: 4 };
const BUCKET_OF_CODE: Array<Bucket | null> = [null, 'ok', 'bad', 'unk', 'maint'];
/** State code (index in CODE) → bucket code. */
const BUCKET_BY_STATE_CODE = CODE.map((st) => BUCKET_CODE[BUCKETS[st]]);

/**
 * Second-by-second tallies per device: one array slot per second of the period holding the
 * device's state (base stretches, then maintenance over them, then restart gaps over all), then
 * the counted bucket (commissioning, retirement, now, service hours by local minute), then
 * bucket seconds and outages (runs of counted bad seconds; uncounted seconds are skipped).
 */
function oracle(sc: Scenario) {
  const per = new Map<string, { sec: Record<Bucket, number>; outages: number[]; unreachable: number }>();
  const counted = new Map<string, Uint8Array>();
  const untampered = new Map<string, Uint8Array>();
  const nSec = (sc.period.toTs - sc.period.fromTs) / S;
  const idx = (ts: number) => Math.min(nSec, Math.max(0, (ts - sc.period.fromTs) / S));
  const serviceByMinute = new Map<string, Uint8Array>();
  for (const type of new Set(sc.devices.map((d) => d.type))) {
    const m = new Uint8Array(Math.ceil(nSec / 60));
    for (let i = 0; i < m.length; i++) m[i] = inService(type, sc.period.fromTs + i * 60_000) ? 1 : 0;
    serviceByMinute.set(type, m);
  }
  for (const d of sc.devices) {
    const state = new Uint8Array(nSec); // 0: no evidence
    const base = sc.base.get(d.id)!;
    base.forEach((b, k) => {
      const code = b.state === 'unknown' ? 6 : b.tamper ? 7 : CODE.indexOf(b.state);
      state.fill(code, idx(b.ts), idx(base[k + 1]?.ts ?? sc.period.toTs));
    });
    for (const m of sc.maint.get(d.id)!) state.fill(5, idx(m.from), idx(m.to));
    for (const g of sc.gaps) state.fill(6, idx(g.from), idx(g.to));
    const from = idx(midnightOf(d.commissionedAt));
    const to = Math.min(idx(d.retiredAt ? midnightOf(d.retiredAt) : sc.period.toTs), idx(sc.nowTs));
    const service = serviceByMinute.get(d.type)!;
    const row = new Uint8Array(nSec);
    const watched = new Uint8Array(nSec);
    const tally = [0, 0, 0, 0, 0];
    const outages: number[] = [];
    let run = 0;
    let unreachable = 0;
    for (let i = from; i < to; i++) {
      if (!service[(i / 60) | 0]) continue;
      const code = state[i]!;
      const b = BUCKET_BY_STATE_CODE[code]!;
      row[i] = b;
      watched[i] = code === 7 ? 2 : b;
      tally[b]!++;
      if (code === 4) unreachable++;
      if (b === 2) run++;
      else if (run > 0) {
        outages.push(run);
        run = 0;
      }
    }
    if (run > 0) outages.push(run);
    const sec = { ok: tally[1]!, bad: tally[2]!, unk: tally[3]!, maint: tally[4]! };
    per.set(d.id, { sec, outages, unreachable });
    counted.set(d.id, row);
    untampered.set(d.id, watched);
  }
  // By bucket code (ok 1, bad 2, unk 3, maint 4): the group takes its best member's.
  const rank = [-1, 3, 2, 1, 0];
  const group = (ids: string[], from = counted) => {
    const sec: Record<Bucket, number> = { ok: 0, bad: 0, maint: 0, unk: 0 };
    const rows = ids.map((id) => from.get(id)!);
    const tally = [0, 0, 0, 0, 0];
    for (let i = 0; i < nSec; i++) {
      let best = 0;
      for (const r of rows) if (rank[r[i]!]! > rank[best]!) best = r[i]!;
      tally[best]!++;
    }
    for (let c = 1; c <= 4; c++) sec[BUCKET_OF_CODE[c]!] = tally[c]!;
    return sec;
  };
  return { per, group, untampered };
}

const pct = (ok: number, bad: number) => (ok + bad > 0 ? (100 * ok) / (ok + bad) : null);

function commune(sc: Scenario) {
  return buildCommune({
    hamlets: [
      { id: 'h1', name: 'Ấp 1', population: 1200 },
      { id: 'h2', name: 'Ấp 2', population: 800 },
      { id: 'h3', name: 'Ấp 3' },
    ] as never,
    sites: [
      { id: 's1', kind: 'ubnd', hamlet: 'h1', uplink: 'net-1' },
      { id: 's2', kind: 'cultural-house', hamlet: 'h2', uplink: 'net-2' },
      { id: 's3', kind: 'school', hamlet: 'h3', uplink: 'net-1' },
      { id: 's4', kind: 'key-point', hamlet: 'h3', uplink: 'net-1' },
    ],
    devices: sc.devices.map((d) => ({ ...d, installedAt: '2025-11-01' })),
    extra: {
      broadcasts: [
        { id: 'sang', name: 'Bản tin sáng', at: '06:00', days: 'daily', durationMin: 30 },
        { id: 'chieu', name: 'Bản tin chiều', at: '17:00', days: ['mon', 'wed', 'fri'], durationMin: 45 },
      ],
      kpi: { serviceHours: { 'wifi-ap': [{ from: '06:00', to: '22:00' }], loudspeaker: 'broadcasts' } },
      kpiTargets: [
        {
          id: 'k-all',
          name: 'Tất cả',
          indicator: 'uptime',
          params: { groupBy: 'device' },
          target: 95,
          period: 'month',
        },
        {
          id: 'k-loa-h',
          name: 'Loa theo ấp',
          indicator: 'hamlet-coverage',
          params: { minPct: 90 },
          target: 100,
          period: 'month',
        },
        {
          id: 'k-loa-p',
          name: 'Loa theo dân số',
          indicator: 'hamlet-coverage',
          params: { minPct: 90, weight: 'population' },
          target: 100,
          period: 'month',
        },
        {
          id: 'k-wifi',
          name: 'Wi-Fi nhà văn hóa',
          indicator: 'site-coverage',
          params: { deviceType: 'wifi-ap', siteKinds: ['cultural-house'], minPct: 80 },
          target: 100,
          period: 'month',
        },
        {
          id: 'k-line',
          name: 'Internet trường học',
          indicator: 'site-coverage',
          params: { deviceType: 'uplink', siteKinds: ['school'], minPct: 80 },
          target: 100,
          period: 'month',
        },
        {
          id: 'k-cam',
          name: 'Camera điểm trọng yếu',
          indicator: 'camera-untampered',
          params: { minPct: 80 },
          target: 100,
          period: 'month',
        },
        { id: 'k-n', name: 'Số lần', indicator: 'outage-count', params: {}, target: 10, period: 'month' },
        { id: 'k-mttr', name: 'MTTR', indicator: 'mttr', params: {}, target: 60, period: 'month' },
        { id: 'k-mtbf', name: 'MTBF', indicator: 'mtbf', params: {}, target: 24, period: 'month' },
        {
          id: 'k-long',
          name: 'Dài nhất',
          indicator: 'longest-outage',
          params: {},
          target: 600,
          period: 'month',
        },
      ],
    },
  });
}

describe('KPI engine against a second-by-second oracle', () => {
  it('cuts months and quarters at local midnight in Asia/Ho_Chi_Minh', () => {
    for (const [kind, anchor, from, to] of [
      ['month', '2026-03-31T23:30:00+07:00', '2026-03-01', '2026-04-01'],
      ['month', '2026-12-31T23:59:59+07:00', '2026-12-01', '2027-01-01'],
      ['quarter', '2026-07-01T00:00:00+07:00', '2026-07-01', '2026-10-01'],
    ] as const) {
      const p = periodContaining(kind, Date.parse(anchor));
      expect(local(p.fromTs).date).toBe(from);
      expect(local(p.fromTs).minuteOfDay).toBe(0);
      expect(local(p.toTs).date).toBe(to);
      expect(local(p.toTs).minuteOfDay).toBe(0);
    }
  });

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    it(`agrees to the second on random scenario ${seed}`, () => {
      const sc = scenario(seed * 7919);
      const dir = mkdtempSync(join(tmpdir(), 'cx-kpi-oracle-'));
      dirs.push(dir);
      const db = openDb(join(dir, 'canhxa.sqlite'));
      try {
        // One transaction: thousands of transitions, one commit.
        db.transaction(() => writeIntervals(sc, new IntervalLog(db)))();

        const model = new SqliteReadModel({
          db,
          store: { queryRollup: () => Promise.reject(new Error('unused')) },
          clock: () => sc.nowTs,
        });
        const run = runKpis(commune(sc), model, sc.period, sc.nowTs);
        const fig = (id: string) => run.figures.find((f) => f.targetId === id)!;

        const { per, group, untampered } = oracle(sc);

        // Uptime per device: every bucket to the millisecond, and the percentage.
        const all = fig('k-all');
        for (const d of sc.devices) {
          const o = per.get(d.id)!;
          const row = all.rows.find((x) => x.key === d.id);
          const total = o.sec.ok + o.sec.bad + o.sec.maint + o.sec.unk;
          if (total === 0) {
            expect(row, d.id).toBeUndefined();
            continue;
          }
          expect(row?.basis, `${d.id} seed ${seed}`).toMatchObject({
            availableMs: o.sec.ok * S,
            unavailableMs: o.sec.bad * S,
            maintenanceMs: o.sec.maint * S,
            unknownMs: o.sec.unk * S,
            unreachableMs: o.unreachable * S,
          });
          const p = pct(o.sec.ok, o.sec.bad);
          if (p === null) expect(row!.value).toBeNull();
          else expect(row!.value!).toBeCloseTo(p, 2);
        }

        // Coverage: hamlets by loudspeakers (h3 has none), by population, places by Wi-Fi and line.
        const loas = (h: string) =>
          sc.devices.filter(
            (d) =>
              d.type === 'loudspeaker' &&
              SITE_HAMLET[d.site] === h &&
              per.get(d.id)!.sec.ok +
                per.get(d.id)!.sec.bad +
                per.get(d.id)!.sec.maint +
                per.get(d.id)!.sec.unk >
                0,
          );
        const hamletStatus = (h: string) => {
          const ids = loas(h).map((d) => d.id);
          if (ids.length === 0) return 'no-device';
          const g = group(ids);
          const p = pct(g.ok, g.bad);
          return p === null ? 'not-judged' : p >= 90 ? 'covered' : 'not-covered';
        };
        const statuses = ['h1', 'h2', 'h3'].map((h) => [h, hamletStatus(h)] as const);
        const judged = statuses.filter(([, s]) => s !== 'not-judged');
        const covered = judged.filter(([, s]) => s === 'covered');
        expect(fig('k-loa-h').rows.map((x) => [x.key, x.basis.status])).toEqual(statuses);
        const byHamlets = judged.length ? (100 * covered.length) / judged.length : null;
        if (byHamlets === null) expect(fig('k-loa-h').value).toBeNull();
        else expect(fig('k-loa-h').value!).toBeCloseTo(byHamlets, 2);
        const popOf = (xs: typeof judged) => xs.reduce((n, [h]) => n + (POP[h] ?? 0), 0);
        const popJudged = popOf(judged.filter(([h]) => POP[h] !== undefined));
        if (popJudged === 0) expect(fig('k-loa-p').value).toBeNull();
        else expect(fig('k-loa-p').value!).toBeCloseTo((100 * popOf(covered)) / popJudged, 2);

        const siteStatus = (ids: string[], minPct: number) => {
          const live = ids.filter((id) => Object.values(per.get(id)!.sec).some((n) => n > 0));
          if (live.length === 0) return 'no-device';
          const g = group(live);
          const p = pct(g.ok, g.bad);
          return p === null ? 'not-judged' : p >= minPct ? 'covered' : 'not-covered';
        };
        expect(fig('k-wifi').rows.map((x) => x.basis.status)).toEqual([siteStatus(['wifi-1'], 80)]);
        expect(fig('k-line').rows.map((x) => x.basis.status)).toEqual([siteStatus(['net-1'], 80)]);

        // Key point s4 by its two cameras, covered-lens time counted against them (to the second).
        const camIds = ['cam-2', 'cam-3'].filter((id) => Object.values(per.get(id)!.sec).some((n) => n > 0));
        const cam = fig('k-cam').rows[0]!;
        if (camIds.length === 0) expect(cam.basis.status).toBe('no-device');
        else {
          const g = group(camIds, untampered);
          expect(cam.basis, `seed ${seed}`).toMatchObject({
            availableMs: g.ok * S,
            unavailableMs: g.bad * S,
          });
          const p = pct(g.ok, g.bad);
          expect(cam.basis.status).toBe(p === null ? 'not-judged' : p >= 80 ? 'covered' : 'not-covered');
        }

        // Outages: count, MTTR (min), MTBF (h), longest (min), all devices together.
        const outs = [...per.values()].flatMap((o) => o.outages);
        const okSec = [...per.values()].reduce((n, o) => n + o.sec.ok, 0);
        expect(fig('k-n').value).toBe(outs.length);
        expect(fig('k-n').basis.outageMs).toBe(outs.reduce((a, b) => a + b, 0) * S);
        expect(fig('k-long').basis.longestOutageMs).toBe(Math.max(0, ...outs) * S);
        if (outs.length === 0) expect(fig('k-mttr').value).toBeNull();
        else {
          expect(fig('k-mttr').value!).toBeCloseTo(outs.reduce((a, b) => a + b, 0) / outs.length / 60, 2);
          expect(fig('k-mtbf').value!).toBeCloseTo(okSec / outs.length / 3600, 2);
        }
      } finally {
        db.close();
      }
    }, 120_000);
  }
});
