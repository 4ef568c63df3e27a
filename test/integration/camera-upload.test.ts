/**
 * A probe gateway at a site (the runtime of `npm run gateway`, loaded from its own file, in
 * process) watches a stand-in camera and uploads its snapshots to the real service over HTTP with
 * its own credential, never through MQTT: the police read the image, the verdict's event names its
 * hash, "scene moved" works with the reference the upload answers bring back, and a wrong
 * credential or another gateway's camera is refused and counted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGatewayConfig } from '../../gateway/runtime/config.ts';
import { GatewayRuntime } from '../../gateway/runtime/gateway.ts';
import { SqliteReadModel } from '../../services/read-model/sqlite-read-model.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';
import { type OnvifCameraStandIn, startOnvifCamera } from '../standins/onvif-camera.ts';

const COMMUNE = 'xa-gw';
let tmp: string;
let app: TestApp;
let cam: OnvifCameraStandIn;
let gateway: GatewayRuntime;
const cookies = new Map<string, string>();

const api = (role: string, path: string, init: RequestInit = {}) =>
  fetch(`${app.apiUrl}${path}`, { ...init, headers: { cookie: cookies.get(role) ?? '', ...init.headers } });

function upload(cameraId: string, user: string, password: string, body: Buffer) {
  return fetch(`${app.apiUrl}/api/cameras/${cameraId}/snapshots`, {
    method: 'PUT',
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
      'content-type': 'image/jpeg',
    },
    body: new Uint8Array(body),
  });
}

interface Card {
  id: string;
  state: string;
  reason: string;
  snapshot: { sha256: string } | null;
}
async function card(id: string): Promise<Card | undefined> {
  const res = await api('police', '/api/cameras');
  return ((await res.json()) as Card[]).find((c) => c.id === id);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-gw-snap-'));
  mkdirSync(join(tmp, 'communes'));
  cam = await startOnvifCamera();
  const doc = communeDoc({
    id: COMMUNE,
    devices: [
      { id: 'gw-ap1', type: 'gateway', name: 'Gateway ấp 1' },
      { id: 'gw-ap2', type: 'gateway', name: 'Gateway ấp 2' },
      { id: 'cam-ngo', type: 'camera', name: 'Camera ngã ba', reportedBy: ['gw-ap1'] },
      { id: 'cam-cau', type: 'camera', name: 'Camera cầu', reportedBy: ['gw-ap2'] },
    ],
    users: [
      { username: 'police.gw', name: 'Công an', role: 'police' },
      { username: 'admin.gw', name: 'Quản trị', role: 'admin' },
    ],
  });
  writeFileSync(join(tmp, 'communes', `${COMMUNE}.yaml`), stringify(doc));
  app = await startTestApp({
    communesDir: join(tmp, 'communes'),
    extra: 'ingest: { batchMaxDelayMs: 20 }',
    log: createLogger({ level: 'silent' }),
  });
  for (const [role, user] of [
    ['police', 'police.gw'],
    ['admin', 'admin.gw'],
  ] as const)
    cookies.set(role, await login(app, user, app.userPasswords.get(user)!));
  const file = join(tmp, 'gateway.yaml');
  writeFileSync(
    file,
    stringify({
      gatewayId: 'gw-ap1',
      broker: { url: app.mqttUrl, passwordEnv: 'CX_TEST_GW_PASSWORD' },
      bufferFile: 'buffer.sqlite',
      snapshotUploadUrl: app.apiUrl,
      targets: [
        {
          device: 'cam-ngo',
          commune: COMMUNE,
          probe: 'onvif',
          config: { host: cam.host, port: cam.port, username: cam.username, password: cam.password },
          intervalSec: 5,
          timeoutMs: 4500,
          retries: 0,
          confirmations: 1,
        },
      ],
    }),
  );
  const config = loadGatewayConfig(file, { CX_TEST_GW_PASSWORD: app.devicePasswords.get('gw-ap1')! });
  gateway = new GatewayRuntime(config, { log: createLogger({ level: 'silent' }) });
  gateway.start();
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await app?.stop();
  await cam?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('snapshots from a gateway at a site', () => {
  it('uploads over HTTP: the police read the image, and the event over MQTT names its hash', async () => {
    const c = await waitFor(
      async () => {
        const x = await card('cam-ngo');
        return x?.snapshot && x.state === 'up' ? x : undefined;
      },
      'the uploaded snapshot and the verdict over MQTT',
      45_000,
      250,
    );
    const res = await api('police', '/api/cameras/cam-ngo/snapshot');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/jpeg/);
    const image = jpeg.decode(Buffer.from(await res.arrayBuffer()));
    expect(image.width).toBeGreaterThan(0);
    const readModel = new SqliteReadModel({ db: app.db, store: app.store, clock: Date.now });
    const named = await waitFor(
      () =>
        readModel
          .events(['cam-ngo'], { fromTs: 0, toTs: Date.now() + 60_000 }, 100)
          .find((e) => e.type === 'camera-snapshot'),
      'the camera-snapshot event',
      20_000,
      100,
    );
    const sha = (named.detail as { sha256: string }).sha256;
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const same = await api('police', `/api/cameras/cam-ngo/snapshot?sha256=${sha}`);
    expect(same.status).toBe(200);
    expect(c.snapshot!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(gateway.snapshots!.counts.uploaded).toBeGreaterThan(0);
  });

  it('judges "scene moved" at the site once the police approve a reference', async () => {
    const approved = await api('police', '/api/cameras/cam-ngo/reference', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(approved.status).toBe(200);
    // The next upload's answer brings the reference's dHash to the gateway; then the mast is knocked.
    const before = gateway.snapshots!.counts.uploaded;
    await waitFor(() => gateway.snapshots!.counts.uploaded > before, 'one more upload', 30_000, 100);
    await cam.set({ scene: 'turned' });
    await waitFor(
      async () => (await card('cam-ngo'))?.reason === 'camera-scene-moved',
      'degraded / camera-scene-moved from the gateway',
      45_000,
      250,
    );
    await cam.set({ scene: 'normal' });
  });

  it('refuses a wrong credential (401, counted), another gateway, a person and a non-JPEG', async () => {
    const real = (await api('police', '/api/cameras/cam-ngo/snapshot')).arrayBuffer();
    const jpegBytes = Buffer.from(await real);
    const pw = app.devicePasswords.get('gw-ap1')!;
    const wrong = await upload('cam-ngo', 'gw-ap1', `${pw}x`, jpegBytes);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic /);
    // gw-ap2's own credential, for a camera gw-ap1 reports for.
    const other = await upload('cam-ngo', 'gw-ap2', app.devicePasswords.get('gw-ap2')!, jpegBytes);
    expect(other.status).toBe(403);
    const person = await api('police', '/api/cameras/cam-ngo/snapshots', {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(jpegBytes),
    });
    expect(person.status).toBe(403);
    const notJpeg = await upload('cam-ngo', 'gw-ap1', pw, Buffer.from('<html>not an image</html>'));
    expect(notJpeg.status).toBe(400);
    const stats = (await (await api('admin', '/api/ingest/stats')).json()) as {
      rejectsByReason: Array<{ source: string; reason: string; deviceId: string; count: number }>;
    };
    const counted = (reason: string, deviceId: string) =>
      stats.rejectsByReason.find((r) => r.source === 'api' && r.reason === reason && r.deviceId === deviceId)
        ?.count ?? 0;
    expect(counted('bad-password', 'gw-ap1')).toBe(1);
    expect(counted('forbidden-snapshot', 'gw-ap2')).toBe(1);
  });

  it('stops guessing a gateway password: after 10 wrong tries in 15 minutes even the right one waits (429)', async () => {
    const pw = app.devicePasswords.get('gw-ap2')!;
    const body = Buffer.from('not needed: refused before the body is read');
    for (let i = 0; i < 10; i++)
      expect((await upload('cam-cau', 'gw-ap2', `guess-${i}`, body)).status).toBe(401);
    expect((await upload('cam-cau', 'gw-ap2', pw, body)).status).toBe(429);
  });
});
