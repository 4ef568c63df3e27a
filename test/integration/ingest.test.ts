import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

const run = promisify(execFile);
let app: TestApp;
let technician: string;
let police: string;
const clients: MqttClient[] = [];

async function connect(deviceId: string, will = false): Promise<MqttClient> {
  const communeId = app.directory.get(deviceId)!.communeId;
  const client = mqtt.connect(app.mqttUrl, {
    clientId: deviceId,
    username: deviceId,
    password: app.devicePasswords.get(deviceId)!,
    protocolVersion: 4,
    reconnectPeriod: 0,
    ...(will
      ? {
          will: {
            topic: `cx/v1/${communeId}/${deviceId}/status`,
            payload: Buffer.from('{"v":1,"state":"offline","reason":"last-will"}'),
            qos: 1,
            retain: false,
          },
        }
      : {}),
  });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

async function publish(client: MqttClient, topic: string, payload: string): Promise<void> {
  await client.publishAsync(topic, payload, { qos: 1 });
}

async function api(path: string, cookie: string) {
  const res = await fetch(`${app.apiUrl}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return res.json();
}

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }' });
  technician = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
  police = await login(app, 'congan.talai', app.userPasswords.get('congan.talai')!);
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.stop();
});

describe('device → broker → ingest → store → availability → API', () => {
  it('a camera heartbeat over mqtt.js makes it up, stores the reading and shows the last heartbeat', async () => {
    const cam = await connect('tl-cam-01');
    await publish(cam, 'cx/v1/ta-lai/tl-cam-01/heartbeat', JSON.stringify({ v: 1, seq: 7, uptimeSec: 3600 }));
    const device = await until(
      () => api('/api/devices/tl-cam-01', police),
      // The state follows the spool write; the reading reaches the store a batch later: wait for both.
      (d) => d.state === 'up' && d.lastHeartbeat !== null && d.latest.length >= 2,
    );
    expect(device).toMatchObject({
      state: 'up',
      reason: 'heartbeat',
      lastHeartbeat: { v: 1, seq: 7, uptimeSec: 3600 },
    });
    expect(device.latest.map((r: { metric: string }) => r.metric)).toEqual(
      expect.arrayContaining(['heartbeat', 'uptimeSec']),
    );
  });

  it('telemetry published with mosquitto_pub lands in the store', async () => {
    const id = 'tl-wifi-ubnd';
    await run('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(app.mqttPort),
      '-V',
      'mqttv311',
      '-q',
      '1',
      '-i',
      id,
      '-u',
      id,
      '-P',
      app.devicePasswords.get(id)!,
      '-t',
      `cx/v1/ta-lai/${id}/telemetry`,
      '-m',
      JSON.stringify({ v: 1, ts: Date.now(), metrics: { clientCount: 23, throughputMbps: 41.5 } }),
    ]);
    const rows = await until(
      () => api(`/api/devices/${id}/telemetry?metric=clientCount`, technician),
      (r) => r.length > 0,
    );
    expect(rows[0]).toMatchObject({ metric: 'clientCount', value: 23 });
  });

  it('refuses malformed, wrong-version and off-schema messages with reasons, and keeps every good one beside them', async () => {
    const id = 'tl-loa-01';
    const ap = await connect(id);
    const topic = (ch: string) => `cx/v1/ta-lai/${id}/${ch}`;
    const base = Date.now() - 60_000;
    const bad = [
      [topic('telemetry'), '{"v":1, "metrics": {'],
      [topic('telemetry'), JSON.stringify({ v: 2, metrics: { volumePct: 1 } })],
      [topic('telemetry'), JSON.stringify({ v: 1, metrics: { volumePct: 'loud' } })],
      [topic('heartbeat'), JSON.stringify({ v: 1, extra: true })],
    ];
    for (let i = 0; i < 20; i++) {
      await publish(
        ap,
        topic('telemetry'),
        JSON.stringify({ v: 1, ts: base + i, metrics: { volumePct: i } }),
      );
      const [t, p] = bad[i % bad.length]!;
      await publish(ap, t!, p!);
    }
    const stored = await until(
      () => api(`/api/devices/${id}/telemetry?metric=volumePct&fromTs=${base}`, technician),
      (r) => r.length === 20,
    );
    expect(stored.map((r: { value: number }) => r.value)).toEqual([...Array(20).keys()]);
    const stats = await api('/api/ingest/stats', technician);
    const mine = stats.rejectsByReason.filter((r: { deviceId: string }) => r.deviceId === id);
    expect(
      Object.fromEntries(mine.map((r: { reason: string; count: number }) => [r.reason, r.count])),
    ).toEqual({
      'malformed-json': 5,
      'bad-version': 5,
      schema: 10,
    });
    const rejects = await api('/api/ingest/rejects?limit=5', technician);
    expect(rejects[0]).toMatchObject({ deviceId: id, source: 'ingest', topic: expect.stringContaining(id) });
    expect(rejects[0].detail).toBeTruthy();
    expect(rejects[0]).not.toHaveProperty('payload');
  });

  it('a gateway may publish for the soil sensor behind it', async () => {
    const sensor = [...app.directory.all()].find(
      (d) => d.communeId === 'ta-lai' && d.type.kind === 'soil-sensor',
    )!;
    const gw = await connect(sensor.reportedBy[0]!);
    await publish(
      gw,
      `cx/v1/ta-lai/${sensor.id}/telemetry`,
      JSON.stringify({ v: 1, metrics: { soilMoisturePct: 27.5 } }),
    );
    // A relay publishes a heartbeat for each uplink it forwards: the reporter's telemetry alone is
    // evidence about the sensor, not its sign of life.
    await publish(gw, `cx/v1/ta-lai/${sensor.id}/heartbeat`, '{"v":1}');
    const economics = await login(app, 'kinhte.talai', app.userPasswords.get('kinhte.talai')!);
    const d = await until(
      () => api(`/api/devices/${sensor.id}`, economics),
      (x) => x.state === 'up',
    );
    expect(d.state).toBe('up');
    expect(d.latest).toEqual(
      expect.arrayContaining([expect.objectContaining({ metric: 'soilMoisturePct', value: 27.5 })]),
    );
  });

  it('a dropped connection fires the last will and the camera goes down, with the interval recorded', async () => {
    const cam = await connect('tl-cam-02', true);
    await publish(cam, 'cx/v1/ta-lai/tl-cam-02/heartbeat', '{"v":1}');
    await until(
      () => api('/api/devices/tl-cam-02', police),
      (d) => d.state === 'up',
    );
    cam.stream.destroy();
    const d = await until(
      () => api('/api/devices/tl-cam-02', police),
      (x) => x.state === 'down' || x.state === 'unreachable',
    );
    expect(d.state).toBe('down');
    expect(d.reason).toBe('last-will');
    const history = await api('/api/devices/tl-cam-02/history', police);
    expect(history.slice(0, 2).map((h: { state: string }) => h.state)).toEqual(['down', 'up']);
  });
});
