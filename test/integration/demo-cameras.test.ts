/**
 * The demo's cameras: with the simulator on, every onvif target on a loopback address is played by
 * a stand-in ONVIF camera (gateway/simulator/camera-standins.ts) that the built-in onvif probe
 * judges for real, its password a `demo-` secret made up for the run. The demo's trouble runs one
 * camera's clock ahead from the start and covers another a while later; the police grid shows
 * their snapshots.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEMO_DRIFT_SEC } from '../../gateway/simulator/demo-trouble.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { freeAt, login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

let app: TestApp;
let tmp: string;
let police: string;
const IDS = ['cam-a', 'cam-b', 'cam-c'];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-demo-cams-'));
  mkdirSync(join(tmp, 'communes'));
  // A loopback /16 no other app of this run listens on (the sample communes move to 127.30–250).
  let net = 0;
  for (let n = 251; n < 255 && !net; n++) if (await freeAt(`127.${n}.7.40`, 8080)) net = n;
  expect(net, 'a free loopback address').toBeGreaterThan(0);
  const doc = communeDoc({
    id: 'xa-demo-cam',
    devices: IDS.map((id, i) => ({
      id,
      type: 'camera',
      probe: {
        kind: 'onvif',
        intervalSec: 2,
        retries: 0,
        confirmations: 1,
        timeoutMs: 1900,
        config: {
          host: `127.${net}.7.${40 + i}`,
          port: 8080,
          username: 'canhxa',
          passwordRef: 'demo-camera',
        },
      },
    })),
    users: [{ username: 'congan.demo', name: 'Công an', role: 'police' }],
  });
  writeFileSync(join(tmp, 'communes', 'xa-demo-cam.yaml'), stringify(doc));
  app = await startTestApp({
    communesDir: join(tmp, 'communes'),
    simulator: true,
    // The cover goes on 2 min / speed after the start: 4 s here.
    speed: 30,
    extra: 'demo: { historyHours: 0, troubleAtStart: true }\ningest: { batchMaxDelayMs: 20 }',
  });
  police = await login(app, 'congan.demo', app.userPasswords.get('congan.demo')!);
}, 240_000);

afterAll(async () => {
  await app?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface GridRow {
  id: string;
  state: string;
  reason: string;
  params: Record<string, unknown>;
  snapshot: { sha256: string } | null;
}
async function grid(): Promise<Map<string, GridRow>> {
  const res = await fetch(`${app.apiUrl}/api/cameras`, { headers: { cookie: police } });
  expect(res.status).toBe(200);
  return new Map(((await res.json()) as GridRow[]).map((r) => [r.id, r]));
}

describe('the demo plays its cameras', () => {
  it('has stand-in cameras answering the onvif probe, one drifting and one covered a while later', async () => {
    const rows = await waitFor(
      async () => {
        const g = await grid();
        const ok =
          g.get('cam-a')?.reason === 'camera-clock-drift' &&
          g.get('cam-b')?.reason === 'camera-covered' &&
          g.get('cam-c')?.state === 'up' &&
          IDS.every((id) => g.get(id)?.snapshot);
        return ok ? g : undefined;
      },
      'a drifting camera, a covered one and one up, each with a snapshot',
      90_000,
      500,
    );
    expect(rows.get('cam-a')!.state).toBe('degraded');
    expect(Math.abs(Number(rows.get('cam-a')!.params.seconds) - DEMO_DRIFT_SEC)).toBeLessThanOrEqual(2);
    expect(rows.get('cam-b')!.state).toBe('degraded');
    // The image the police see is a real JPEG from the stand-in.
    const img = await fetch(`${app.apiUrl}/api/cameras/cam-c/snapshot`, { headers: { cookie: police } });
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    expect([...new Uint8Array(await img.arrayBuffer()).subarray(0, 2)]).toEqual([0xff, 0xd8]);
  }, 120_000);
});
