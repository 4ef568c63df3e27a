/**
 * Two communes in one deployment (Tà Lài, Lộc Tấn) and a province user. A commune's users see only
 * their commune, on every route and on the live stream; the province sees both, never a camera.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedGatewayId } from '../../config/probe-targets.ts';
import type { COMMUNE_ROLES, Role } from '../../config/schema/commune.ts';
import { allows } from '../../services/api/route.ts';
import { ROUTES } from '../../services/api/routes/registry.ts';
import { canSee } from '../../services/device-types/registry.ts';
import { login, PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';

type CommuneRole = (typeof COMMUNE_ROLES)[number];
const TA_LAI: Record<CommuneRole, string> = {
  police: 'congan.talai',
  economics: 'kinhte.talai',
  technician: 'kythuat.talai',
  leader: 'lanhdao.talai',
  admin: 'quantri.talai',
};
const LOC_TAN: Record<CommuneRole, string> = {
  police: 'congan.loctan',
  economics: 'kinhte.loctan',
  technician: 'kythuat.loctan',
  leader: 'lanhdao.loctan',
  admin: 'quantri.loctan',
};

let app: TestApp;
const cookies = new Map<string, string>();
const clients: MqttClient[] = [];
let ltIds: string[];
let tlIds: string[];

async function get(path: string, username: string) {
  const res = await fetch(`${app.apiUrl}${path}`, { headers: { cookie: cookies.get(username)! } });
  return { status: res.status, text: await res.text() };
}

/** Every Lộc Tấn id (and the commune's own id) found in a text; [] is what a Tà Lài user must get. */
function locTanIdsIn(text: string): string[] {
  return [...ltIds, 'loc-tan', 'Lộc Tấn'].filter((id) => text.includes(id));
}

async function connect(
  deviceId: string,
  password = app.devicePasswords.get(deviceId)!,
): Promise<MqttClient | null> {
  const client = mqtt.connect(app.mqttUrl, {
    clientId: deviceId,
    username: deviceId,
    password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  clients.push(client);
  return new Promise((resolve) => {
    client.once('connect', () => resolve(client));
    client.once('error', () => resolve(null));
  });
}

/** Reads an SSE stream for a while and returns all it said. */
async function readStream(username: string, during: () => Promise<void>): Promise<string> {
  const ac = new AbortController();
  const res = await fetch(`${app.apiUrl}/api/stream`, {
    headers: { cookie: cookies.get(username)! },
    signal: ac.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  let text = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += Buffer.from(value).toString('utf8');
      }
    } catch {
      // aborted: the read ends here
    }
  })();
  await during();
  await new Promise((r) => setTimeout(r, 600));
  ac.abort();
  await pump;
  return text;
}

beforeAll(async () => {
  app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }' });
  ltIds = [...app.directory.all()].filter((d) => d.communeId === 'loc-tan').map((d) => d.id);
  tlIds = [...app.directory.all()].filter((d) => d.communeId === 'ta-lai').map((d) => d.id);
  for (const u of [...Object.values(TA_LAI), ...Object.values(LOC_TAN), PROVINCE_USER])
    cookies.set(u, await login(app, u, app.userPasswords.get(u)!));
  // Lộc Tấn activity that Tà Lài must not see: a heartbeat, an ingest refusal, a broker refusal,
  // a camera read in its audit log.
  const loa = (await connect('lt-loa-02'))!;
  await loa.publishAsync('cx/v1/loc-tan/lt-loa-02/heartbeat', '{"v":1,"seq":1}', { qos: 1 });
  await loa.publishAsync('cx/v1/loc-tan/lt-loa-02/telemetry', '{"v":99}', { qos: 1 });
  expect(await connect('lt-wifi-ttvh', 'not-the-password')).toBeNull();
  expect((await get('/api/devices/lt-cam-01', LOC_TAN.police)).status).toBe(200);
  // And some Tà Lài activity, so its lists are not empty by accident.
  const tl = (await connect('tl-loa-02'))!;
  await tl.publishAsync('cx/v1/ta-lai/tl-loa-02/heartbeat', '{"v":1,"seq":1}', { qos: 1 });
  expect((await get('/api/devices/tl-cam-01', TA_LAI.police)).status).toBe(200);
  const deadline = Date.now() + 5000;
  while (app.availability.get('lt-loa-02')?.state !== 'up' && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 25));
});

afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.stop();
});

describe('two communes, one deployment', () => {
  it('loads both sample communes with distinct ids', () => {
    expect([...app.directory.communes.keys()].sort()).toEqual(['loc-tan', 'ta-lai']);
    expect(ltIds.length).toBeGreaterThanOrEqual(20);
    // Each commune's built-in probe gateway (<commune>-probe) is the service's, not the commune's purchase.
    expect(
      ltIds.filter((id) => id !== embeddedGatewayId('loc-tan')).every((id) => id.startsWith('lt-')),
    ).toBe(true);
    expect(tlIds.filter((id) => id !== embeddedGatewayId('ta-lai')).every((id) => id.startsWith('tl-'))).toBe(
      true,
    );
  });

  it('refuses a Tà Lài user (403) on every device route of every Lộc Tấn device', async () => {
    const deviceRoutes = ROUTES.filter((r) => r.path.startsWith('/api/devices/:id'));
    expect(deviceRoutes.length).toBeGreaterThanOrEqual(4);
    for (const [role, username] of Object.entries(TA_LAI) as Array<[Role, string]>) {
      for (const spec of deviceRoutes) {
        if (!allows(spec.access, { username, role, name: '', communeId: 'ta-lai' })) continue;
        for (const id of ltIds) {
          const res = await fetch(`${app.apiUrl}${spec.path.replace(':id', id)}`, {
            method: spec.method.toUpperCase(),
            headers: { cookie: cookies.get(username)!, 'content-type': 'application/json' },
            // A body the route takes (maintenance asks for a reason and an end), so only the commune refuses it.
            ...(spec.method === 'post'
              ? { body: JSON.stringify({ on: true, reason: 'Thay nguồn', untilTs: Date.now() + 3_600_000 }) }
              : {}),
          });
          expect(res.status, `${username} ${spec.method} ${spec.path} ${id}`).toBe(403);
          expect(((await res.json()) as { code: string }).code).toBe('CX_FORBIDDEN');
        }
      }
    }
    // Nothing was put in maintenance by the refused calls.
    expect(ltIds.some((id) => app.availability.get(id)?.state === 'maintenance')).toBe(false);
  });

  it('never shows a Tà Lài user a Lộc Tấn id in any list or summary it may read', async () => {
    const lists = [
      '/api/devices',
      '/api/communes',
      '/api/status/summary',
      '/api/ingest/stats',
      '/api/ingest/rejects?limit=500',
      '/api/audit?limit=1000',
    ];
    for (const [role, username] of Object.entries(TA_LAI) as Array<[Role, string]>) {
      for (const path of lists) {
        const res = await get(path, username);
        if (res.status === 403) continue;
        expect(res.status, `${role} ${path}`).toBe(200);
        expect(locTanIdsIn(res.text), `${role} ${path}`).toEqual([]);
      }
    }
    // The lists are not empty: Tà Lài's own activity is there.
    expect((await get('/api/ingest/stats', TA_LAI.technician)).text).toContain('tl-loa-02');
    expect((await get('/api/audit', TA_LAI.admin)).text).toContain('tl-cam-01');
  });

  it('shows Lộc Tấn its own activity, and Tà Lài none of it, mirrored', async () => {
    const rejects = await get('/api/ingest/rejects?limit=500', LOC_TAN.technician);
    expect(rejects.text).toContain('lt-loa-02');
    expect(rejects.text).toContain('lt-wifi-ttvh');
    expect((await get('/api/audit', LOC_TAN.admin)).text).toContain('lt-cam-01');
    for (const path of [
      '/api/devices',
      '/api/status/summary',
      '/api/ingest/rejects?limit=500',
      '/api/audit?limit=1000',
    ]) {
      const text = (await get(path, LOC_TAN.admin)).text;
      expect(
        tlIds.filter((id) => text.includes(id)),
        path,
      ).toEqual([]);
    }
  });

  it('streams to a Tà Lài user only Tà Lài changes, and to a Lộc Tấn user only Lộc Tấn ones', async () => {
    const produce = async () => {
      app.availability.setMaintenance('lt-loa-05', true);
      app.availability.setMaintenance('tl-loa-05', true);
      const c = (await connect('lt-loa-03'))!;
      await c.publishAsync('cx/v1/loc-tan/lt-loa-03/heartbeat', '{"v":1,"seq":1}', { qos: 1 });
      await new Promise((r) => setTimeout(r, 300));
      app.availability.setMaintenance('lt-loa-05', false);
      app.availability.setMaintenance('tl-loa-05', false);
    };
    const [taLai, locTan] = await Promise.all([
      readStream(TA_LAI.technician, produce),
      readStream(LOC_TAN.technician, async () => {}),
    ]);
    expect(taLai).toContain('tl-loa-05');
    expect(locTanIdsIn(taLai)).toEqual([]);
    expect(locTan).toContain('lt-loa-05');
    expect(locTan).toContain('lt-loa-03');
    expect(tlIds.filter((id) => locTan.includes(id))).toEqual([]);
  });
});

describe('the province user', () => {
  it('sees the rollup of both communes, without camera counts', async () => {
    const res = await get('/api/status/summary', PROVINCE_USER);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as {
      communes: Array<{
        communeId: string;
        name: string;
        counts: Record<string, number>;
        byType: Record<string, unknown>;
      }>;
      rollup: { counts: Record<string, number>; byType: Record<string, unknown> };
    };
    expect(body.communes.map((c) => c.communeId).sort()).toEqual(['loc-tan', 'ta-lai']);
    expect(body.communes.map((c) => c.name).sort()).toEqual(['Xã Lộc Tấn', 'Xã Tà Lài']);
    for (const c of body.communes) expect(Object.keys(c.byType)).not.toContain('camera');
    expect(Object.keys(body.rollup.byType)).not.toContain('camera');
    const nonCameras = [...app.directory.all()].filter((d) => d.type.kind !== 'camera').length;
    expect(Object.values(body.rollup.counts).reduce((a, b) => a + b, 0)).toBe(nonCameras);
  });

  it('lists both communes and their non-camera devices, and no camera anywhere', async () => {
    const communes = JSON.parse((await get('/api/communes', PROVINCE_USER)).text) as Array<{ id: string }>;
    expect(communes.map((c) => c.id).sort()).toEqual(['loc-tan', 'ta-lai']);
    const devices = JSON.parse((await get('/api/devices', PROVINCE_USER)).text) as Array<{
      id: string;
      type: string;
      communeId: string;
    }>;
    expect(new Set(devices.map((d) => d.communeId))).toEqual(new Set(['loc-tan', 'ta-lai']));
    expect(devices.some((d) => d.type === 'camera')).toBe(false);
    expect(devices.length).toBe(
      [...app.directory.all()].filter((d) => canSee('province', d.type.kind)).length,
    );
    for (const id of ['lt-loa-02', 'tl-loa-02'])
      expect((await get(`/api/devices/${id}/history`, PROVINCE_USER)).status).toBe(200);
    for (const id of ['lt-cam-01', 'tl-cam-01']) {
      for (const suffix of ['', '/history', '/telemetry'])
        expect((await get(`/api/devices/${id}${suffix}`, PROVINCE_USER)).status).toBe(403);
    }
  });

  it('is refused operations and the audit log, and may not put a device in maintenance', async () => {
    for (const path of ['/api/ingest/stats', '/api/audit'])
      expect((await get(path, PROVINCE_USER)).status).toBe(403);
    const res = await fetch(`${app.apiUrl}/api/devices/lt-loa-01/maintenance`, {
      method: 'POST',
      headers: { cookie: cookies.get(PROVINCE_USER)!, 'content-type': 'application/json' },
      body: JSON.stringify({ on: true }),
    });
    expect(res.status).toBe(403);
  });

  it('signs in with communeId null', async () => {
    const me = JSON.parse((await get('/api/auth/me', PROVINCE_USER)).text) as {
      user: { role: string; communeId: string | null };
    };
    expect(me.user).toMatchObject({ role: 'province', communeId: null });
  });
});
