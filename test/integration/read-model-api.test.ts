/**
 * The read model's routes: a device's complete intervals and events, and the intervals of a site,
 * hamlet or commune, seen through each role exactly as the device routes are (cameras: police
 * only, audited; another commune: refused), over the real service, broker and SQLite files.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canSee } from '../../services/device-types/registry.ts';
import type { DeviceEvent, Span } from '../../services/read-model/read-model.ts';
import { connectDevice, login, PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';

const USERS = {
  technician: 'kythuat.talai',
  police: 'congan.talai',
  admin: 'quantri.talai',
  locTan: 'kythuat.loctan',
  province: PROVINCE_USER,
} as const;
type Who = keyof typeof USERS;

let app: TestApp;
const cookies = new Map<Who, string>();
const clients: MqttClient[] = [];

async function get(path: string, who: Who) {
  const res = await fetch(`${app.apiUrl}${path}`, { headers: { cookie: cookies.get(who)! } });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

async function until(cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

function expectTiled(spans: readonly Span[]) {
  for (let i = 1; i < spans.length; i++) expect(spans[i]!.startTs).toBe(spans[i - 1]!.endTs);
}

async function auditCount(action: string, target: string): Promise<number> {
  const rows = (await get('/api/audit?limit=1000', 'admin')).json() as Array<{
    action: string;
    target: string;
  }>;
  return rows.filter((r) => r.action === action && r.target === target).length;
}

beforeAll(async () => {
  app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }' });
  for (const [who, username] of Object.entries(USERS) as Array<[Who, string]>)
    cookies.set(who, await login(app, username, app.userPasswords.get(username)!));
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.stop();
});

describe('GET /api/devices/:id/intervals', () => {
  it('returns the device spans in order, tiled, the open one ending now, clipped to from/to', async () => {
    const wifi = await connectDevice(app, 'tl-wifi-ubnd');
    clients.push(wifi);
    await wifi.publishAsync('cx/v1/ta-lai/tl-wifi-ubnd/heartbeat', '{"v":1,"seq":1}', { qos: 1 });
    await until(() => app.availability.get('tl-wifi-ubnd')?.state === 'up');
    const upSince = app.availability.get('tl-wifi-ubnd')!.sinceTs;
    const before = Date.now();
    const all = (await get('/api/devices/tl-wifi-ubnd/intervals', 'technician')).json() as Span[];
    expectTiled(all);
    expect(all.at(-1)).toMatchObject({
      deviceId: 'tl-wifi-ubnd',
      state: 'up',
      reason: 'heartbeat',
      open: true,
    });
    expect(all.at(-1)!.startTs).toBe(upSince);
    expect(all.at(-1)!.endTs).toBeGreaterThanOrEqual(before - 1);
    expect(all.at(-2)).toMatchObject({ state: 'unknown', open: false, endTs: upSince });

    const from = upSince - 1000;
    const to = upSince + 1;
    const clipped = (
      await get(`/api/devices/tl-wifi-ubnd/intervals?from=${from}&to=${to}`, 'technician')
    ).json();
    expect(clipped.map((s: Span) => [s.state, s.startTs, s.endTs])).toEqual([
      ['unknown', from, upSince],
      ['up', upSince, to],
    ]);
  });

  it('returns a flapping year whole: 1,500 intervals through the API, none cut at 1,000', async () => {
    const y0 = Date.parse('2025-01-01T00:00:00+07:00');
    const step = Math.floor((365 * 86_400_000) / 1500);
    const insert = app.db.prepare(
      `INSERT INTO state_intervals (commune_id, device_id, state, reason, params, start_ts, end_ts)
       VALUES ('ta-lai', 'tl-loa-07', ?, ?, ?, ?, ?)`,
    );
    app.db.transaction(() => {
      for (let i = 0; i < 1500; i++)
        insert.run(
          i % 2 ? 'down' : 'up',
          i % 2 ? 'heartbeat-late' : 'heartbeat',
          i % 2 ? JSON.stringify({ seconds: 90 }) : null,
          y0 + i * step,
          y0 + (i + 1) * step,
        );
    })();
    const res = await get(`/api/devices/tl-loa-07/intervals?from=${y0}&to=${y0 + 1500 * step}`, 'technician');
    expect(res.status).toBe(200);
    const spans = JSON.parse(res.text) as Span[];
    expect(spans).toHaveLength(1500);
    expectTiled(spans);
    expect(spans[1]).toMatchObject({ state: 'down', reason: 'heartbeat-late', params: { seconds: 90 } });
  });

  it('refuses a camera to every role but the police, and audits the police read', async () => {
    expect((await get('/api/devices/tl-cam-01/intervals', 'technician')).status).toBe(403);
    expect((await get('/api/devices/tl-cam-01/intervals', 'province')).status).toBe(403);
    const audited = await auditCount('read-device', 'tl-cam-01');
    const res = await get('/api/devices/tl-cam-01/intervals', 'police');
    expect(res.status).toBe(200);
    expect((res.json() as Span[]).every((s) => s.deviceId === 'tl-cam-01')).toBe(true);
    expect(await auditCount('read-device', 'tl-cam-01')).toBe(audited + 1);
  });

  it('answers 400 for from >= to, and 403 for a device of another commune', async () => {
    const bad = await get('/api/devices/tl-wifi-ubnd/intervals?from=2000&to=1000', 'technician');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'CX_BAD_REQUEST', fields: { from: expect.any(String) } });
    expect((await get('/api/devices/tl-wifi-ubnd/intervals', 'locTan')).status).toBe(403);
  });
});

describe('GET /api/devices/:id/events', () => {
  it('returns what the device reported on its event channel, oldest first, with its detail', async () => {
    const loa = await connectDevice(app, 'tl-loa-02');
    clients.push(loa);
    const t = Date.now() - 60_000;
    for (const [dt, type] of [
      [5000, 'amp-fault'],
      [0, 'reboot'],
    ] as const)
      await loa.publishAsync(
        'cx/v1/ta-lai/tl-loa-02/event',
        JSON.stringify({ v: 1, ts: t + dt, type, severity: 'warning', detail: { 'lý do': 'mất điện' } }),
        { qos: 1 },
      );
    await app.ingest.flush();
    let events: DeviceEvent[] = [];
    await until(async () => {
      events = (await get('/api/devices/tl-loa-02/events', 'technician')).json();
      return events.length === 2;
    });
    expect(events.map((e) => [e.type, e.ts])).toEqual([
      ['reboot', t],
      ['amp-fault', t + 5000],
    ]);
    expect(events[0]).toMatchObject({
      severity: 'warning',
      detail: { 'lý do': 'mất điện' },
      communeId: 'ta-lai',
    });
    const limited = (await get('/api/devices/tl-loa-02/events?limit=1', 'technician')).json();
    expect(limited.map((e: DeviceEvent) => e.type)).toEqual(['reboot']);
    const later = (await get(`/api/devices/tl-loa-02/events?from=${t + 1}`, 'technician')).json();
    expect(later.map((e: DeviceEvent) => e.type)).toEqual(['amp-fault']);
    expect((await get('/api/devices/tl-loa-02/events', 'locTan')).status).toBe(403);
    expect((await get('/api/devices/tl-loa-02/events?limit=0', 'technician')).status).toBe(400);
  });
});

describe('GET /api/intervals?scope=…', () => {
  const camera = () => app.directory.get('tl-cam-01')!;
  const typeOf = (id: string) => app.directory.get(id)!.type.kind;

  it("gives each role a hamlet's spans of only the devices it may see; a police read is audited", async () => {
    const hamlet = camera().hamletId;
    const path = `/api/intervals?scope=hamlet&id=${hamlet}`;
    const inHamlet = [...app.directory.all()].filter((d) => d.hamletId === hamlet).map((d) => d.id);
    const audited = await auditCount('read-intervals', `hamlet:${hamlet}`);

    const tech = (await get(path, 'technician')).json() as Span[];
    expect(tech.length).toBeGreaterThan(0);
    expect(tech.every((s) => inHamlet.includes(s.deviceId) && typeOf(s.deviceId) !== 'camera')).toBe(true);
    expect(await auditCount('read-intervals', `hamlet:${hamlet}`)).toBe(audited);

    const police = (await get(path, 'police')).json() as Span[];
    expect(police.some((s) => s.deviceId === 'tl-cam-01')).toBe(true);
    expect(police.every((s) => canSee('police', typeOf(s.deviceId)))).toBe(true);
    for (let i = 1; i < police.length; i++)
      expect(police[i]!.startTs).toBeGreaterThanOrEqual(police[i - 1]!.startTs);
    expect(await auditCount('read-intervals', `hamlet:${hamlet}`)).toBe(audited + 1);
  });

  it("reads a site, and by default every device of the user's own commune", async () => {
    const site = (await get('/api/intervals?scope=site&id=tl-ubnd', 'technician')).json() as Span[];
    expect(new Set(site.map((s) => app.directory.get(s.deviceId)!.siteId))).toEqual(new Set(['tl-ubnd']));
    const mine = (await get('/api/intervals', 'technician')).text;
    expect(mine).toContain('tl-wifi-ubnd');
    expect(mine).not.toContain('"lt-');
  });

  it('refuses another commune to a commune user, and gives the province both communes without cameras', async () => {
    expect((await get('/api/intervals?scope=commune&id=loc-tan', 'technician')).status).toBe(403);
    const ltHamlet = [...app.directory.all()].find((d) => d.communeId === 'loc-tan')!.hamletId;
    expect((await get(`/api/intervals?scope=hamlet&id=${ltHamlet}`, 'technician')).status).toBe(403);
    const province = (await get('/api/intervals', 'province')).json() as Span[];
    expect(new Set(province.map((s) => s.communeId))).toEqual(new Set(['ta-lai', 'loc-tan']));
    expect(province.some((s) => typeOf(s.deviceId) === 'camera')).toBe(false);
  });

  it('answers 404 for a scope no commune has, 400 for a site without id or a bad scope', async () => {
    expect((await get('/api/intervals?scope=hamlet&id=tl-ap-99', 'technician')).status).toBe(404);
    expect((await get('/api/intervals?scope=site', 'technician')).status).toBe(400);
    expect((await get('/api/intervals?scope=province&id=x', 'technician')).status).toBe(400);
  });
});
