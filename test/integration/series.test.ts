/**
 * GET /api/devices/:id/series against the real service and its SQLite store: rolled-up buckets
 * where the store has them, raw readings aggregated the same way after them, the device's
 * visibility and audit rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reading } from '../../services/store/store.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
let app: TestApp;
const cookies = new Map<string, string>();
let now: number;

interface Series {
  metric: string | null;
  resolution: string;
  points: Array<{ ts: number; min: number; max: number; mean: number; count: number }>;
}

async function get(user: string, path: string) {
  const res = await fetch(`${app.apiUrl}${path}`, { headers: { cookie: cookies.get(user)! } });
  return { status: res.status, body: (await res.json()) as Series & { code?: string } };
}

/** Three readings a minute (10, 20, 30 + n) for `minutes` whole minutes ending at `endTs`. */
function readings(deviceId: string, metric: string, endTs: number, minutes: number): Reading[] {
  const out: Reading[] = [];
  const start = Math.floor(endTs / MIN) * MIN - minutes * MIN;
  for (let m = 0; m < minutes; m++)
    for (const [i, v] of [10, 20, 30].entries())
      out.push({ communeId: 'ta-lai', deviceId, metric, ts: start + m * MIN + i * 1000, value: v + m });
  return out;
}

beforeAll(async () => {
  app = await startTestApp();
  for (const u of ['kythuat.talai', 'congan.talai', 'kinhte.talai', 'quantri.talai'])
    cookies.set(u, await login(app, u, app.userPasswords.get(u)!));
  now = Date.now();
  // Three hours of latency, everything but their last 30 minutes rolled up. They end 3 h 15 min
  // ago: the service's own retention job rolls up only the last 2 hours and 10 minutes, so it
  // cannot roll up those 30 minutes while the test runs.
  const endTs = now - 3 * HOUR - 15 * MIN;
  await app.store.write(readings('tl-wifi-ubnd', 'latencyMs', endTs, 180));
  await app.store.rollup(endTs - 4 * HOUR, Math.floor(endTs / MIN) * MIN - 30 * MIN);
  await app.store.write(readings('tl-wifi-ubnd', 'clientCount', now, 5));
  await app.store.write(readings('tl-cam-01', 'bitrateKbps', now, 5));
});
afterAll(async () => {
  await app?.stop();
});

describe('GET /api/devices/:id/series', () => {
  it('answers 24 h in 1-minute buckets: rollups first, then the not yet rolled-up minutes from raw readings', async () => {
    const { status, body } = await get('kythuat.talai', '/api/devices/tl-wifi-ubnd/series?metric=latencyMs');
    expect(status).toBe(200);
    expect(body.metric).toBe('latencyMs');
    expect(body.resolution).toBe('1m');
    expect(body.points).toHaveLength(180);
    const ts = body.points.map((p) => p.ts);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(new Set(ts).size).toBe(180);
    for (const [m, p] of body.points.entries())
      expect(p).toEqual({ ts: p.ts, min: 10 + m, max: 30 + m, mean: 20 + m, count: 3 });
  });

  it('aggregates a fresh device from raw readings alone', async () => {
    const { body } = await get('kythuat.talai', '/api/devices/tl-wifi-ubnd/series?metric=clientCount');
    expect(body.points).toHaveLength(5);
    expect(body.points[0]).toMatchObject({ min: 10, max: 30, mean: 20, count: 3 });
  });

  it('answers 7 d, 30 d and a crop season (120 d) in 1-hour buckets', async () => {
    for (const range of ['7d', '30d', '120d']) {
      const { body } = await get(
        'kythuat.talai',
        `/api/devices/tl-wifi-ubnd/series?metric=latencyMs&range=${range}`,
      );
      expect(body.resolution).toBe('1h');
      expect(body.points.reduce((n, p) => n + p.count, 0)).toBe(540);
      expect(Math.min(...body.points.map((p) => p.min))).toBe(10);
      expect(Math.max(...body.points.map((p) => p.max))).toBe(30 + 179);
      for (const p of body.points) expect(p.ts % HOUR).toBe(0);
    }
  });

  it('picks the first metric by name when none is asked for, and answers empty for a silent device', async () => {
    expect((await get('kythuat.talai', '/api/devices/tl-wifi-ubnd/series')).body.metric).toBe('clientCount');
    const silent = await get('kythuat.talai', '/api/devices/tl-wifi-tyt/series?metric=latencyMs');
    expect(silent.body).toEqual({ metric: 'latencyMs', resolution: '1m', points: [] });
  });

  it('refuses an unknown range or a malformed metric with the failing field', async () => {
    const bad = await get('kythuat.talai', '/api/devices/tl-wifi-ubnd/series?metric=latencyMs&range=1y');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'CX_BAD_REQUEST', fields: { range: expect.any(String) } });
    expect((await get('kythuat.talai', '/api/devices/tl-wifi-ubnd/series?metric=a%20b')).status).toBe(400);
  });

  it('shows a camera only to the police, and writes the read to the audit log', async () => {
    expect((await get('kinhte.talai', '/api/devices/tl-cam-01/series?metric=bitrateKbps')).status).toBe(403);
    const police = await get('congan.talai', '/api/devices/tl-cam-01/series?metric=bitrateKbps');
    expect(police.status).toBe(200);
    expect(police.body.points).toHaveLength(5);
    const audit = (await (
      await fetch(`${app.apiUrl}/api/audit`, { headers: { cookie: cookies.get('quantri.talai')! } })
    ).json()) as Array<{ username: string; target: string }>;
    expect(audit.some((a) => a.username === 'congan.talai' && a.target === 'tl-cam-01')).toBe(true);
  });
});
