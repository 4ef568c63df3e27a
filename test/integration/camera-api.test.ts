/**
 * Cameras through the whole service: two stand-in cameras probed by the commune's built-in probe
 * gateway (the onvif probe, its password a named secret), their verdicts over MQTT into the
 * availability engine like any adapter's, their snapshots straight into the snapshot store. The
 * police read the grid, the latest snapshot and the drift history, and approve a reference; every
 * other role is refused; every read is in the audit log; the camera password appears nowhere.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CameraCommune,
  CAMERA_PASSWORD as PASSWORD,
  CAMERA_ROLES as ROLES,
  startCameraCommune,
  userOf,
} from '../fixtures/camera-commune.ts';
import { login, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';
import type { OnvifCameraStandIn } from '../standins/onvif-camera.ts';

let commune: CameraCommune;
let app: TestApp;
let good: OnvifCameraStandIn;
const cookies = new Map<string, string>();

async function get(role: string, path: string, init: RequestInit = {}) {
  return fetch(`${app.apiUrl}${path}`, {
    ...init,
    headers: { cookie: cookies.get(role)!, 'content-type': 'application/json', ...init.headers },
  });
}

beforeAll(async () => {
  commune = await startCameraCommune([
    { id: 'cam-cong', name: 'Camera cổng UBND' },
    { id: 'cam-cho', name: 'Camera chợ', behaviour: { scene: 'covered' } },
  ]);
  app = commune.app;
  good = commune.cameras.get('cam-cong')!;
  for (const role of ROLES)
    cookies.set(role, await login(app, userOf(role), app.userPasswords.get(userOf(role))!));
}, 60_000);

afterAll(async () => {
  await commune?.stop();
});

interface GridRow {
  id: string;
  state: string;
  reason: string;
  params: Record<string, unknown>;
  sinceTs: number | null;
  snapshot: { sha256: string } | null;
  reference: { approvedBy: string } | null;
}
async function grid(): Promise<GridRow[]> {
  const res = await get('police', '/api/cameras');
  expect(res.status).toBe(200);
  return (await res.json()) as GridRow[];
}

describe('cameras in the service, for the police', () => {
  it('shows each probed camera in the police grid with its state, reason, since when and snapshot', async () => {
    const rows = await waitFor(
      async () => {
        const g = await grid();
        const byId = new Map(g.map((r) => [r.id, r]));
        const ok = byId.get('cam-cong')?.state === 'up' && byId.get('cam-cho')?.state === 'degraded';
        return ok && byId.get('cam-cong')?.snapshot ? byId : undefined;
      },
      'camera states from the probe',
      40_000,
    );
    const cho = rows.get('cam-cho')!;
    expect(cho.reason).toBe('camera-covered');
    expect(cho.params).toMatchObject({ threshold: 6 });
    expect(cho.sinceTs).toBeGreaterThan(0);
  });

  it('serves the latest snapshot as JPEG to the police only, and audits every read', async () => {
    const res = await get('police', '/api/cameras/cam-cong/snapshot');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toContain('no-store');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    for (const role of ROLES.filter((r) => r !== 'police')) {
      for (const [method, path] of [
        ['GET', '/api/cameras'],
        ['GET', '/api/cameras/cam-cong/snapshot'],
        ['GET', '/api/cameras/cam-cong/drift'],
        ['POST', '/api/cameras/cam-cong/reference'],
      ] as const) {
        const r = await get(role, path, method === 'POST' ? { method, body: '{}' } : { method });
        expect(r.status, `${role} ${method} ${path}`).toBe(403);
      }
    }
    const audit = await get('admin', '/api/audit');
    const rows = (await audit.json()) as Array<{ username: string; action: string; target: string }>;
    expect(rows).toContainEqual(
      expect.objectContaining({ username: 'police.cam', action: 'read-snapshot', target: 'cam-cong' }),
    );
  });

  it('approves the current snapshot as reference, audited with who and which camera', async () => {
    const res = await get('police', '/api/cameras/cam-cong/reference', { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { approvedBy: string; sha256: string };
    expect(body.approvedBy).toBe('police.cam');
    const g = await grid();
    expect(g.find((r) => r.id === 'cam-cong')?.reference?.approvedBy).toBe('police.cam');
    const rows = (await (await get('admin', '/api/audit')).json()) as Array<{
      username: string;
      action: string;
      target: string;
      ts: number;
    }>;
    const approval = rows.find((r) => r.action === 'approve-reference');
    expect(approval).toMatchObject({
      username: 'police.cam',
      target: `cam-cong@${body.sha256.slice(0, 16)}`,
    });
    // The reference is the image the police saw approved, still served by its hash.
    const ref = await get('police', `/api/cameras/cam-cong/snapshot?sha256=${body.sha256}`);
    expect(ref.status).toBe(200);
  });

  it('judges the camera moved once it is turned away from the approved reference', async () => {
    await good.set({ scene: 'turned' });
    await waitFor(
      async () => (await grid()).find((r) => r.id === 'cam-cong' && r.reason === 'camera-scene-moved'),
      'cam-cong judged moved',
      40_000,
    );
  });

  it('gives the police the drift history of a camera from its clockDriftSec metric', async () => {
    await app.ingest.flush();
    const series = await waitFor(
      async () => {
        const r = await get('police', '/api/cameras/cam-cong/drift');
        const s = (await r.json()) as { metric: string; points: unknown[] };
        return s.points.length > 0 ? s : undefined;
      },
      'drift points',
      20_000,
    );
    expect(series.metric).toBe('clockDriftSec');
  });

  it('never shows the camera password in the API, the log or the data folder beside the secrets file', async () => {
    const texts = [
      await (await get('police', '/api/cameras')).text(),
      await (await get('police', '/api/devices/cam-cong')).text(),
      commune.log(),
    ];
    for (const t of texts) expect(t).not.toContain(PASSWORD);
    const files = readdirSync(commune.dataDir, { recursive: true }).map(String);
    for (const f of files.filter((f) => f !== 'probe-secrets.json' && /\.(json|txt|yaml|log)$/.test(f)))
      expect(readFileSync(join(commune.dataDir, f), 'utf8'), f).not.toContain(PASSWORD);
  });
});
