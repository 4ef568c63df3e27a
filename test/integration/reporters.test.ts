/**
 * Who reports for a device is not what it depends on: a probe that reports for a camera may
 * publish for it (and only for it), its verdicts set the camera's state, and what it sends about
 * the camera is evidence, not the camera's own sign of life. Real service, real aedes broker,
 * real MQTT clients.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';

const C = 'xa-rp';
const dev = (id: string, type: string, more: object = {}) => ({
  id,
  type,
  name: `Thiết bị ${id}`,
  site: 'rp-ubnd',
  installedAt: '2026-01-05',
  ...more,
});
const COMMUNE = {
  commune: { id: C, name: 'Xã Thử', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
  hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
  sites: [
    {
      id: 'rp-ubnd',
      name: 'UBND xã',
      kind: 'ubnd',
      hamlet: 'ap-1',
      location: { lat: 11.37, lon: 107.37 },
      uplink: 'rp-net',
    },
  ],
  devices: [
    dev('rp-net', 'uplink'),
    dev('rp-probe', 'gateway'),
    dev('rp-cam', 'camera', { reportedBy: ['rp-probe'] }),
    dev('rp-cam-2', 'camera'),
  ],
  users: [{ username: 'congan.rp', name: 'Công an', role: 'police' }],
};

let tmp: string;
let app: TestApp;
const clients: MqttClient[] = [];
const topic = (device: string, channel: string) => `cx/v1/${C}/${device}/${channel}`;

async function connect(id: string): Promise<MqttClient> {
  const c = await connectDevice(app, id);
  clients.push(c);
  return c;
}

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** QoS 1: resolves on PUBACK, which ingest sends only after the message's availability effects ran. */
const send = (c: MqttClient, device: string, channel: string, doc: object) =>
  c.publishAsync(topic(device, channel), JSON.stringify(doc), { qos: 1 });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-reporters-'));
  mkdirSync(join(tmp, 'communes'));
  writeFileSync(join(tmp, 'communes', 'xa-rp.yaml'), stringify(COMMUNE));
  app = await startTestApp({ communesDir: join(tmp, 'communes'), extra: 'ingest: { batchMaxDelayMs: 20 }' });
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('reporters', () => {
  it('keeps the site uplink as the dependency of a device that has a reporter', () => {
    expect(app.directory.get('rp-cam')).toMatchObject({ reportedBy: ['rp-probe'], upstreamIds: ['rp-net'] });
  });

  it("a reporter's telemetry about a device it judged down does not bring it up; the device's own heartbeat does", async () => {
    const probe = await connect('rp-probe');
    await send(probe, 'rp-cam', 'status', {
      v: 1,
      state: 'down',
      reason: { code: 'no-reply', params: { timeoutMs: 3000 } },
    });
    expect(app.availability.get('rp-cam')).toMatchObject({
      state: 'down',
      reason: 'no-reply',
      params: { timeoutMs: 3000 },
    });
    const before = app.ingest.acceptedByDevice.get('rp-cam') ?? 0;
    await send(probe, 'rp-cam', 'telemetry', { v: 1, metrics: { bitrateKbps: 0 } });
    await send(probe, 'rp-cam', 'event', { v: 1, type: 'probe-failed', severity: 'warning' });
    expect(app.ingest.acceptedByDevice.get('rp-cam')).toBe(before + 2);
    // Kept as evidence about the camera...
    const latest = await until(
      () => app.store.latest({ deviceId: 'rp-cam' }),
      (rows) => rows.some((r) => r.metric === 'bitrateKbps'),
    );
    expect(latest.find((r) => r.metric === 'bitrateKbps')?.value).toBe(0);
    // ...but not its sign of life.
    expect(app.availability.get('rp-cam')).toMatchObject({ state: 'down', reason: 'no-reply' });

    const cam = await connect('rp-cam');
    await send(cam, 'rp-cam', 'heartbeat', { v: 1, seq: 1 });
    expect(app.availability.get('rp-cam')).toMatchObject({ state: 'up', reason: 'heartbeat' });
  });

  it("a reporter's unknown verdict shows monitoring broken, and its up verdict clears it", async () => {
    const probe = await connect('rp-probe');
    await send(probe, 'rp-cam', 'status', {
      v: 1,
      state: 'unknown',
      reason: { code: 'adapter-crashed', params: { detail: 'onvif: socket hang up' } },
    });
    expect(app.availability.get('rp-cam')).toMatchObject({ state: 'unknown', reason: 'adapter-crashed' });
    await send(probe, 'rp-cam', 'status', { v: 1, state: 'up' });
    expect(app.availability.get('rp-cam')?.state).toBe('up');
    // A gateway deployed before reason codes still works: its text is kept as gateway-text.
    await send(probe, 'rp-cam', 'status', { v: 1, state: 'degraded', reason: 'ảnh mờ' });
    expect(app.availability.get('rp-cam')).toMatchObject({
      state: 'degraded',
      reason: 'gateway-text',
      params: { text: 'ảnh mờ' },
    });
  });

  it('a device that does not name the publisher in reportedBy cannot be published for', async () => {
    const probe = await connect('rp-probe');
    const closed = new Promise<void>((resolve) => probe.once('close', () => resolve()));
    probe.publish(topic('rp-cam-2', 'status'), JSON.stringify({ v: 1, state: 'down' }), { qos: 1 });
    await closed;
    expect(app.ingest.acceptedByDevice.get('rp-cam-2')).toBeUndefined();
    const refused = app.db
      .prepare("SELECT reason, detail FROM rejects WHERE client_id = 'rp-probe' AND topic = ?")
      .all(topic('rp-cam-2', 'status')) as Array<{ reason: string; detail: string }>;
    expect(refused).toEqual([
      { reason: 'forbidden-topic', detail: expect.stringContaining('may not publish for "rp-cam-2"') },
    ]);
  });
});
