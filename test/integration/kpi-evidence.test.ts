import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import { previousPeriod } from '../../services/kpi/periods.ts';
import { periodKey } from '../../services/reports/period-key.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

const H = 3_600_000;
let app: TestApp;
const cookie = new Map<string, string>();
const last = previousPeriod('month', Date.now());
const key = periodKey('month', last.fromTs);
const periodSec = (last.toTs - last.fromTs) / 1000;

beforeAll(async () => {
  app = await startTestApp();
  for (const u of ['lanhdao.talai', 'quantri.talai', 'kythuat.talai', 'congan.talai'])
    cookie.set(u, await login(app, u, app.userPasswords.get(u)!));
  // Last month's evidence as the availability engine writes it: every device up, the UBND line
  // down 5 h, a loudspeaker down 2 h and back, a camera down 3 h.
  // The engine has already written what it knows (commissioning: awaiting evidence, from the
  // commissioning date; on a busy box also a probe's verdict now, which would leave that first
  // interval open across the history written here). The history replaces it, written in order.
  app.db.prepare("DELETE FROM state_intervals WHERE commune_id = 'ta-lai'").run();
  const log = new IntervalLog(app.db);
  const at = (deviceId: string, state: 'up' | 'down', ts: number, reason = 'heartbeat') =>
    log.transition({ deviceId, communeId: 'ta-lai', state, reason, params: {}, ts, lastHeardTs: null });
  for (const d of app.directory.all()) if (d.communeId === 'ta-lai') at(d.id, 'up', last.fromTs - H);
  at('tl-net-ubnd', 'down', last.fromTs + 30 * H, 'probe-failed');
  at('tl-net-ubnd', 'up', last.fromTs + 35 * H);
  at('tl-cam-01', 'down', last.fromTs + 40 * H);
  at('tl-cam-01', 'up', last.fromTs + 43 * H);
  for (const d of app.directory.all()) if (d.communeId === 'ta-lai') at(d.id, 'up', last.toTs + H);
}, 300_000);
afterAll(() => app?.stop());

const get = (path: string, user = 'lanhdao.talai') =>
  fetch(`${app.apiUrl}${path}`, { headers: { cookie: cookie.get(user)! } });
const json = async <T>(path: string, user?: string) => {
  const res = await get(path, user);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
};

interface Contribution {
  devices: number;
  periodSec: number;
  upSec: number;
  downSec: number;
  maintenanceSec: number;
  unknownSec: number;
  excludedSec: number;
  uptimePct: number | null;
}
interface Evidence {
  figure: { value: number | null; status: string } | null;
  totals: Contribution;
  children: Array<Contribution & { kind: string; id: string; evidence: string }>;
  devices: Array<Contribution & { deviceId: string }>;
  withheld: Array<Contribution & { type: string }>;
  intervals?: Array<{ state: string; reason: string; startTs: number; endTs: number }>;
  events?: unknown[];
}

const camera = () =>
  [...app.directory.all()].filter((d) => d.communeId === 'ta-lai' && d.type.kind === 'camera');

describe('the evidence behind each KPI figure', { timeout: 120_000 }, () => {
  it('/api/kpis carries a link per figure that explains it down to the intervals, to the second', async () => {
    const [kpis] = await json<
      Array<{ figures: Array<{ targetId: string; value: number; evidence: string }> }>
    >(`/api/kpis?period=${key}&commune=ta-lai`);
    const uplink = kpis!.figures.find((f) => f.targetId === 'tl-kpi-uplink-uptime')!;
    expect(uplink.evidence).toBe(`/api/kpis/tl-kpi-uplink-uptime/evidence?commune=ta-lai&period=${key}`);
    const top = await json<Evidence>(uplink.evidence);
    expect(top.totals.uptimePct).toBe(uplink.value);
    expect(top.figure!.value).toBe(uplink.value);
    expect(top.totals.downSec).toBe(5 * 3600);
    expect(top.children.every((c) => c.kind === 'hamlet')).toBe(true);
    // Every device's seconds add up to the period: counted in a bucket, or excluded.
    for (const d of top.devices)
      expect(d.upSec + d.downSec + d.maintenanceSec + d.unknownSec + d.excludedSec).toBe(periodSec);
    // Drill down hamlet → site → device, by the links the answers give.
    const hamlet = top.children.find((c) => c.downSec > 0)!;
    const h = await json<Evidence>(hamlet.evidence);
    expect(h.children.every((c) => c.kind === 'site')).toBe(true);
    const site = await json<Evidence>(h.children.find((c) => c.downSec > 0)!.evidence);
    const device = site.children.find((c) => c.downSec > 0)!;
    expect(device).toMatchObject({ kind: 'device', id: 'tl-net-ubnd', downSec: 5 * 3600 });
    const d = await json<Evidence>(device.evidence);
    const down = d.intervals!.filter((i) => i.state === 'down');
    expect(down).toEqual([
      expect.objectContaining({
        reason: 'probe-failed',
        startTs: last.fromTs + 30 * H,
        endTs: last.fromTs + 35 * H,
      }),
    ]);
    expect(d.events).toEqual([]);
  });

  it("never names or places a camera for a leader or an admin: one aggregate row, and 403 for a camera's own evidence", async () => {
    const cams = camera();
    const secrets = [...cams.map((c) => c.id), ...cams.map((c) => c.name), ...cams.map((c) => c.siteId)];
    for (const user of ['lanhdao.talai', 'quantri.talai']) {
      const base = `/api/kpis/tl-kpi-camera-uptime/evidence?commune=ta-lai&period=${key}`;
      const bodies: string[] = [];
      const top = await json<Evidence>(base, user);
      bodies.push(JSON.stringify(top));
      expect(top.devices).toEqual([]);
      expect(top.withheld).toEqual([
        expect.objectContaining({ type: 'camera', devices: cams.length, downSec: 3 * 3600 }),
      ]);
      expect(top.totals.uptimePct).toBe(top.figure!.value);
      for (const h of new Set(cams.map((c) => c.hamletId))) {
        const e = await json<Evidence>(`${base}&scope=hamlet&id=${h}`, user);
        bodies.push(JSON.stringify(e));
        expect(e.children).toEqual([]);
        expect(e.withheld[0]!.devices).toBe(cams.filter((c) => c.hamletId === h).length);
      }
      for (const s of new Set(cams.map((c) => c.siteId))) {
        const e = await json<Evidence>(`${base}&scope=site&id=${s}`, user);
        expect(e.devices).toEqual([]);
        expect(e.withheld).toEqual([]);
        expect(e.totals.devices).toBe(0);
      }
      for (const body of bodies) for (const s of secrets) expect(body, `${user}: ${s}`).not.toContain(s);
      const res = await get(`${base}&scope=device&id=${cams[0]!.id}`, user);
      expect(res.status).toBe(403);
    }
  });

  it('refuses technicians and the police, and says which period or scope is wrong', async () => {
    const base = `/api/kpis/tl-kpi-uplink-uptime/evidence?commune=ta-lai&period=${key}`;
    for (const user of ['kythuat.talai', 'congan.talai']) expect((await get(base, user)).status).toBe(403);
    expect((await get(`${base}&scope=hamlet`)).status).toBe(400);
    expect((await get(`${base}&scope=site&id=khong-co`)).status).toBe(404);
    expect((await get('/api/kpis/khong-co/evidence')).status).toBe(404);
    expect((await get(`/api/kpis/tl-kpi-uplink-uptime/evidence?period=2026-13`)).status).toBe(400);
  });

  it("the contractors' table: uptime per contractor and budget line against the SLA, each row with its evidence", async () => {
    const [t] = await json<
      Array<{
        rows: Array<{ key: string; value: number | null; basis: Record<string, unknown>; evidence: string }>;
      }>
    >(`/api/kpis/contractors?period=${key}&commune=ta-lai`);
    const line = t!.rows.find(
      (r) => r.key.startsWith('vnpt-dong-nai') && String(r.basis.budgetLine).includes('II.4.1'),
    )!;
    expect(line.value).toBeLessThan(100);
    expect(line.basis).toMatchObject({ slaPct: 99, illustrative: 1, unavailableMs: 5 * H });
    expect(['on-track', 'at-risk', 'missed']).toContain(line.basis.status);
    const e = await json<Evidence>(line.evidence);
    expect(e.totals.uptimePct).toBe(line.value);
    expect(e.devices.some((d) => d.deviceId === 'tl-net-ubnd' && d.downSec === 5 * 3600)).toBe(true);
  });
});

describe('the month-by-month trend', { timeout: 120_000 }, () => {
  it('gives each target twelve months ending with this one, last month equal to /api/kpis', async () => {
    const [trend] = await json<
      Array<{
        months: Array<{ period: string }>;
        series: Array<{
          targetId: string;
          points: Array<{ period: string; value: number | null; evidence: string }>;
        }>;
      }>
    >('/api/kpis/trend?commune=ta-lai');
    expect(trend!.months).toHaveLength(12);
    expect(trend!.months.at(-1)!.period).toBe(periodKey('month', Date.now()));
    expect(trend!.months.at(-2)!.period).toBe(key);
    const [kpis] = await json<Array<{ figures: Array<{ targetId: string; value: number | null }> }>>(
      `/api/kpis?period=${key}&commune=ta-lai`,
    );
    for (const f of kpis!.figures) {
      const p = trend!.series.find((s) => s.targetId === f.targetId)!.points.at(-2)!;
      expect(p.value, f.targetId).toBe(f.value);
      expect(p.evidence).toContain(`period=${key}`);
    }
    expect((await get('/api/kpis/trend', 'kythuat.talai')).status).toBe(403);
  });
});
