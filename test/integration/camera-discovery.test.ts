/**
 * WS-Discovery through the service: stand-in cameras answer the `onvif` package's multicast Probe
 * (239.255.255.250:3702, looped back on this host) with ProbeMatches; GET /api/cameras/discovery
 * lists the one that no commune file names and leaves out the one in the inventory. A device that
 * answers garbage is counted, never a crash. Police and admins may ask; other roles are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CameraCommune,
  CAMERA_ROLES as ROLES,
  startCameraCommune,
  userOf,
} from '../fixtures/camera-commune.ts';
import { login } from '../setup/app.ts';
import { type OnvifCameraStandIn, startOnvifCamera } from '../standins/onvif-camera.ts';

let commune: CameraCommune;
let stranger: OnvifCameraStandIn;
let broken: OnvifCameraStandIn;
const cookies = new Map<string, string>();

async function get(role: string, path: string) {
  return fetch(`${commune.app.apiUrl}${path}`, { headers: { cookie: cookies.get(role)! } });
}

interface Run {
  error: string | null;
  malformedAnswers: number;
  devices: Array<{
    endpoint: string;
    host: string;
    port: number;
    name: string | null;
    hardware: string | null;
  }>;
}

beforeAll(async () => {
  [stranger, broken] = await Promise.all([
    startOnvifCamera({ discoverable: true }),
    startOnvifCamera({ discoverable: true, behaviour: { garbage: true } }),
  ]);
  commune = await startCameraCommune([{ id: 'cam-cong', name: 'Camera cổng UBND', discoverable: true }]);
  for (const role of ROLES)
    cookies.set(role, await login(commune.app, userOf(role), commune.app.userPasswords.get(userOf(role))!));
}, 180_000);

afterAll(async () => {
  await commune?.stop();
  await Promise.all([stranger?.stop(), broken?.stop()]);
});

describe('ONVIF devices on the LAN that the inventory lacks', () => {
  it('lists the camera nobody watches, not the one in the commune file, and counts a garbage answer', async () => {
    const res = await get('police', '/api/cameras/discovery');
    expect(res.status).toBe(200);
    const run = (await res.json()) as Run;
    expect(run.error).toBeNull();
    const endpoints = run.devices.map((d) => d.endpoint);
    expect(endpoints).toContain(stranger.discoveryEndpoint);
    expect(endpoints).not.toContain(commune.cameras.get('cam-cong')!.discoveryEndpoint);
    expect(run.devices.find((d) => d.endpoint === stranger.discoveryEndpoint)).toMatchObject({
      host: '127.0.0.1',
      port: stranger.port,
      name: 'HIKVISION',
      hardware: 'DS-2CD2T47G2-L',
    });
    expect(run.malformedAnswers).toBeGreaterThanOrEqual(1);
  });

  it('answers admins too, and refuses every other role', async () => {
    expect((await get('admin', '/api/cameras/discovery')).status).toBe(200);
    for (const role of ROLES.filter((r) => r !== 'police' && r !== 'admin'))
      expect((await get(role, '/api/cameras/discovery')).status, role).toBe(403);
  });
});
