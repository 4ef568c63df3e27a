/**
 * The police's everyday camera views through the real service, with stand-in cameras probed by
 * its built-in onvif probe: a camera's kept snapshots (police only, audited), the cameras' health
 * for the police and the technicians named camera maintainers (no image, stream or position; every
 * other technician refused), counts alone for leaders and the province, and maintenance of a
 * camera by the police (technicians refused, even a maintainer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAMERA_MAINTAINER,
  type CameraCommune,
  CAMERA_ROLES as ROLES,
  startCameraCommune,
  userOf,
} from '../fixtures/camera-commune.ts';
import { login, PROVINCE_USER, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';

let commune: CameraCommune;
let app: TestApp;
const cookies = new Map<string, string>();

async function call(who: string, path: string, init: RequestInit = {}) {
  return fetch(`${app.apiUrl}${path}`, {
    ...init,
    headers: { cookie: cookies.get(who)!, 'content-type': 'application/json', ...init.headers },
  });
}
async function audit(): Promise<Array<{ username: string; action: string; target: string }>> {
  return (await (await call('admin', '/api/audit')).json()) as never;
}

beforeAll(async () => {
  commune = await startCameraCommune([
    { id: 'cam-cong', name: 'Camera cổng UBND' },
    { id: 'cam-cho', name: 'Camera chợ', behaviour: { scene: 'covered' } },
  ]);
  app = commune.app;
  for (const role of ROLES)
    cookies.set(role, await login(app, userOf(role), app.userPasswords.get(userOf(role))!));
  for (const u of [CAMERA_MAINTAINER, PROVINCE_USER])
    cookies.set(u, await login(app, u, app.userPasswords.get(u)!));
}, 240_000);

afterAll(async () => {
  await commune?.stop();
});

describe("a camera's kept snapshots", () => {
  it('lists them newest first to the police, audited, and refuses every other role', async () => {
    const body = await waitFor(
      async () => {
        const r = await call('police', '/api/cameras/cam-cong/snapshots');
        expect(r.status).toBe(200);
        const b = (await r.json()) as { snapshots: Array<{ sha256: string; takenTs: number }> };
        return b.snapshots.length >= 2 ? b : undefined;
      },
      'two kept snapshots of cam-cong',
      40_000,
    );
    const times = body.snapshots.map((s) => s.takenTs);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(body.snapshots[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Each listed image is served by its hash.
    const img = await call('police', `/api/cameras/cam-cong/snapshot?sha256=${body.snapshots[1]!.sha256}`);
    expect(img.status).toBe(200);
    for (const who of [...ROLES.filter((r) => r !== 'police'), CAMERA_MAINTAINER, PROVINCE_USER])
      expect((await call(who, '/api/cameras/cam-cong/snapshots')).status, who).toBe(403);
    expect(await audit()).toContainEqual(
      expect.objectContaining({ username: 'police.cam', action: 'list-snapshots', target: 'cam-cong' }),
    );
  }, 60_000);
});

describe("the cameras' health", () => {
  interface Health {
    cameras: Array<Record<string, unknown>> | null;
    counts: Array<{ communeId: string; total: number; byState: Record<string, number> }>;
  }
  it('gives a camera maintainer state, reason and since when, never an image, a stream or a position', async () => {
    const body = await waitFor(
      async () => {
        const r = await call(CAMERA_MAINTAINER, '/api/camera-health');
        expect(r.status).toBe(200);
        const b = (await r.json()) as Health;
        return b.cameras?.find((c) => c.id === 'cam-cho')?.reason === 'camera-covered' ? b : undefined;
      },
      'cam-cho covered, seen by the maintainer',
      40_000,
    );
    for (const c of body.cameras!)
      expect(Object.keys(c).sort()).toEqual(['id', 'name', 'params', 'reason', 'sinceTs', 'state']);
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/sha256|rtsp:|snapshot|hamlet|lat|lon|127\.0\.0\.1/);
    expect(body.counts).toEqual([
      expect.objectContaining({
        communeId: 'xa-cam',
        total: 2,
        byState: expect.objectContaining({ degraded: 1 }),
      }),
    ]);
    expect(await audit()).toContainEqual(
      expect.objectContaining({ username: CAMERA_MAINTAINER, action: 'read-camera-health' }),
    );
  }, 60_000);

  it('refuses a technician the commune file does not name, and the economics office and admins', async () => {
    for (const who of ['technician', 'economics', 'admin']) {
      const r = await call(who, '/api/camera-health');
      expect(r.status, who).toBe(403);
      expect(((await r.json()) as { code: string }).code).toBe('CX_FORBIDDEN');
    }
  });

  it('gives leaders and the province the counts alone, no camera named', async () => {
    for (const who of ['leader', PROVINCE_USER]) {
      const r = await call(who, '/api/camera-health');
      expect(r.status, who).toBe(200);
      const b = (await r.json()) as Health;
      expect(b.cameras).toBeNull();
      expect(b.counts.find((c) => c.communeId === 'xa-cam')?.total).toBe(2);
      expect(JSON.stringify(b)).not.toMatch(/cam-cong|cam-cho|Camera/);
    }
  });
});

describe('a camera in maintenance', () => {
  it('is put in and out by the police, and refused to technicians, even a camera maintainer', async () => {
    const on = {
      on: true,
      reason: 'Thay ống kính bị nứt / Replace a cracked lens',
      untilTs: Date.now() + 3_600_000,
    };
    for (const who of ['technician', CAMERA_MAINTAINER, 'admin']) {
      const r = await call(who, '/api/devices/cam-cong/maintenance', {
        method: 'POST',
        body: JSON.stringify(on),
      });
      expect(r.status, who).toBe(403);
    }
    const put = await call('police', '/api/devices/cam-cong/maintenance', {
      method: 'POST',
      body: JSON.stringify(on),
    });
    expect(put.status).toBe(200);
    expect(app.availability.get('cam-cong')?.state).toBe('maintenance');
    const detail = (await (await call('police', '/api/devices/cam-cong')).json()) as {
      maintenance: { setBy: string; reason: string };
    };
    expect(detail.maintenance).toMatchObject({ setBy: 'police.cam', reason: on.reason });
    const off = await call('police', '/api/devices/cam-cong/maintenance', {
      method: 'POST',
      body: JSON.stringify({ on: false }),
    });
    expect(off.status).toBe(200);
    expect(app.availability.get('cam-cong')?.state).not.toBe('maintenance');
    const rows = await audit();
    for (const action of ['maintenance-on', 'maintenance-off'])
      expect(rows).toContainEqual(
        expect.objectContaining({ username: 'police.cam', action, target: 'cam-cong' }),
      );
  });
});
