import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OnvifConfig, onvifProbe } from '../../gateway/probes/onvif.ts';
import { type ProbeResult, ProbeTimeout } from '../../gateway/probes/probe.ts';
import { bindCameraSink } from '../../gateway/probes/support/camera-sink.ts';
import { SnapshotStore } from '../../services/cameras/snapshot-store.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { type OnvifCameraStandIn, startOnvifCamera } from '../standins/onvif-camera.ts';

// The onvif package (the client under test), our RTSP and snapshot clients and the real snapshot
// store, against the stand-in camera speaking SOAP/WS-Security, RTSP and HTTP digest on loopback.

let cam: OnvifCameraStandIn;
let dataDir: string;
let store: SnapshotStore;
let config: OnvifConfig;

async function probe(timeoutMs = 20_000): Promise<ProbeResult> {
  const controller = new AbortController();
  const t = setTimeout(() => controller.abort(new ProbeTimeout(timeoutMs)), timeoutMs);
  try {
    return await onvifProbe.probe(config, controller.signal);
  } finally {
    clearTimeout(t);
  }
}

beforeAll(async () => {
  cam = await startOnvifCamera();
  dataDir = mkdtempSync(join(tmpdir(), 'cx-cam-'));
  store = new SnapshotStore(dataDir, { keepPerCamera: 3, log: createLogger({ level: 'silent' }) });
  config = onvifProbe.configSchema.parse({
    host: cam.host,
    port: cam.port,
    username: cam.username,
    password: cam.password,
  });
  bindCameraSink(config, 'cam-1', store);
});

afterAll(async () => {
  await cam?.stop();
  store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await cam.set({
    offline: false,
    hang: false,
    driftSec: 0,
    scene: 'normal',
    stream: 'ok',
    refuseCredentials: false,
    garbage: false,
  });
});

describe('ONVIF camera probe against the stand-in camera', () => {
  it('judges a healthy camera up, with its clock, stream and image measured', async () => {
    const r = await probe();
    expect(r.reason.code, JSON.stringify(r.reason)).toBe('ok');
    expect(r.verdict).toBe('up');
    expect(Math.abs(r.metrics.clockDriftSec!)).toBeLessThanOrEqual(2);
    expect(r.metrics.rtspLatencyMs).toBeGreaterThanOrEqual(0);
    expect(r.metrics.snapshotLuminance).toBeGreaterThan(60);
    expect(cam.requests.DESCRIBE).toBeGreaterThanOrEqual(2); // challenged, then answered with digest
  });

  it('publishes the identity once, then an event when the serial number changes', async () => {
    const first = await probe();
    expect(first.events?.map((e) => e.type) ?? []).not.toContain('camera-identity-changed');
    cam.setInfo({ serialNumber: 'DS-2CD2T47G2-L-REPLACED' });
    const r = await probe();
    const ev = r.events?.find((e) => e.type === 'camera-identity-changed');
    expect(ev?.detail).toMatchObject({ changed: 'serialNumber', serialNumber: 'DS-2CD2T47G2-L-REPLACED' });
  });

  it('judges a camera whose clock drifted degraded / camera-clock-drift with the drift as a metric', async () => {
    // 400 s: beyond the ±300 s WS-Security window, which the onvif package bridges by its time shift.
    await cam.set({ driftSec: 400 });
    const r = await probe();
    expect(r.verdict).toBe('degraded');
    expect(r.reason.code).toBe('camera-clock-drift');
    expect(Number(r.reason.params.seconds)).toBeGreaterThanOrEqual(398);
    expect(r.reason.params.thresholdSec).toBe(30);
    expect(r.metrics.clockDriftSec).toBe(r.reason.params.seconds);
  });

  it.each([
    ['covered', 'camera-covered'],
    ['dark', 'camera-dark'],
    ['blurred', 'camera-blurred'],
  ] as const)('judges a %s scene degraded / %s with the measure and threshold', async (scene, code) => {
    await cam.set({ scene });
    const r = await probe();
    expect(r.verdict).toBe('degraded');
    expect(r.reason.code).toBe(code);
    expect(Object.keys(r.reason.params).sort()).toContain('threshold');
  });

  it('judges a turned camera degraded / camera-scene-moved once a reference is approved', async () => {
    await probe();
    expect(store.approveLatest('cam-1', 'cong-an', Date.now())).toBeDefined();
    const still = await probe();
    expect(still.reason.code).toBe('ok');
    expect(still.metrics.sceneDistanceBits).toBeLessThanOrEqual(4);
    await cam.set({ scene: 'turned' });
    const r = await probe();
    expect(r.verdict).toBe('degraded');
    expect(r.reason.code).toBe('camera-scene-moved');
    expect(Number(r.reason.params.distance)).toBeGreaterThan(12);
    expect(r.reason.params.threshold).toBe(12);
  });

  it('judges a stream without video degraded / rtsp-no-video, and a refused RTSP port down', async () => {
    await cam.set({ stream: 'no-video' });
    const r = await probe();
    expect([r.verdict, r.reason.code]).toEqual(['degraded', 'rtsp-no-video']);
    await cam.set({ stream: 'refuse' });
    const refused = await probe();
    expect([refused.verdict, refused.reason.code]).toEqual(['down', 'rtsp-refused']);
  });

  it('judges refused credentials down / camera-auth-refused: the camera’s problem, not unknown', async () => {
    await cam.set({ refuseCredentials: true });
    const r = await probe();
    expect(r.verdict).toBe('down');
    expect(r.reason).toEqual({
      code: 'camera-auth-refused',
      params: { service: 'onvif', user: cam.username },
    });
    expect(JSON.stringify(r)).not.toContain(cam.password);
  });

  it('judges malformed SOAP down / onvif-malformed without throwing', async () => {
    await cam.set({ garbage: true });
    const r = await probe();
    expect(r.verdict).toBe('down');
    expect(r.reason).toEqual({ code: 'onvif-malformed', params: { step: 'GetSystemDateAndTime' } });
  });

  it('judges an offline camera down / onvif-refused', async () => {
    await cam.set({ offline: true });
    const r = await probe();
    expect(r.verdict).toBe('down');
    expect(r.reason.code).toBe('onvif-refused');
  });

  it('ends a hanging camera at its timeout while another camera is judged meanwhile', async () => {
    const other = await startOnvifCamera();
    try {
      await cam.set({ hang: true });
      const otherConfig = onvifProbe.configSchema.parse({
        host: other.host,
        port: other.port,
        username: other.username,
        password: other.password,
        checkSnapshot: false,
      });
      const hung = probe(1500);
      const started = performance.now();
      const ok = await onvifProbe.probe(otherConfig, new AbortController().signal);
      expect(ok.verdict).toBe('up');
      expect(performance.now() - started).toBeLessThan(1500 + 10_000);
      const r = await hung;
      expect(r.reason).toEqual({ code: 'probe-timeout', params: { timeoutMs: 1500 } });
    } finally {
      await other.stop();
    }
  });

  it('keeps the last N snapshots per camera plus the approved reference, content-addressed', async () => {
    for (let i = 0; i < 5; i++) await probe();
    expect(store.latest('cam-1', 10)).toHaveLength(3);
    const ref = store.reference('cam-1');
    expect(ref?.approvedBy).toBe('cong-an');
    expect(store.image(ref!.sha256)?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const files = readdirSync(join(dataDir, 'snapshots'), { recursive: true }).filter((f) =>
      String(f).endsWith('.jpg'),
    );
    for (const f of files) expect(String(f)).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}\.jpg$/);
    expect(files.length).toBeLessThanOrEqual(4);
  });
});
