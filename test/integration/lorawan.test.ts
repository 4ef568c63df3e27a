/**
 * LoRaWAN through ChirpStack, with real parts: ChirpStack v4 event JSON published by a network
 * server account into the real embedded broker (mqtt.js), and through the ChirpStack bridge from a
 * real mosquitto standing in for ChirpStack's own broker (mosquitto_pub and mqtt.js); readings in
 * the SQLite store, refusals in the reject log, states from the availability engine on a clock the
 * test moves.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { BridgeConfigSchema, ChirpStackBridge } from '../../gateway/lorawan/bridge.ts';
import { Publisher } from '../../gateway/runtime/publisher.ts';
import type { AvailabilityEngine } from '../../services/availability/engine.ts';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';
import { type RunningMosquitto, startMosquitto } from '../setup/mosquitto.ts';

const C = 'xa-lora';
const APP_A = '6f1d3c2a-5b7e-4a19-9c3d-2e8f0a4b7c61';
const APP_X = '0b9e6a55-1c2d-4e3f-8a7b-5c6d7e8f9a01';
const APP_C = 'a1b2c3d4-0000-4000-8000-000000000003';
const EUI = {
  s1: 'a840410000000001',
  s2: '24e1241000000002',
  s3: '2cf7f12000000003',
  s4: 'a840410000000004',
};
const dev = (id: string, type: string, more: object = {}) => ({
  id,
  type,
  name: `Thiết bị ${id}`,
  site: 'farm',
  installedAt: '2026-01-05',
  ...more,
});
const COMMUNE = {
  commune: { id: C, name: 'Xã LoRa', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
  hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
  sites: [
    {
      id: 'farm',
      name: 'Vườn thí điểm',
      kind: 'farm',
      hamlet: 'ap-1',
      location: { lat: 11.37, lon: 107.37 },
    },
  ],
  devices: [
    // gw-a: a LoRa gateway with a built-in network server (application APP_A); gw-b, gw-c: more LoRa
    // gateways; gw-b is heard for a day, so it stays up through the test; gw-x: another network server.
    dev('gw-a', 'gateway', { applicationIds: [APP_A] }),
    dev('gw-b', 'gateway', { liveness: { heartbeatIntervalSec: 86_400, graceSec: 0 } }),
    dev('gw-c', 'gateway', { applicationIds: [APP_C] }),
    dev('gw-x', 'gateway', { applicationIds: [APP_X] }),
    // Heard by gw-a and gw-b: down in its own right while gw-b is up.
    dev('s1', 'soil-sensor', {
      devEui: EUI.s1,
      sensorModel: 'dragino-lse01',
      reportedBy: ['gw-a'],
      dependsOn: ['gw-a', 'gw-b'],
    }),
    // Only gw-a; down after 2 missed uplinks (the model says 3); frozen after an hour.
    dev('s2', 'soil-sensor', {
      devEui: EUI.s2,
      sensorModel: 'milesight-em500-smtc',
      reportedBy: ['gw-a'],
      dependsOn: ['gw-a'],
      missedUplinks: 2,
      frozenAfterHours: 1,
    }),
    // gw-a and gw-c: both go silent, so it is unreachable, not down.
    dev('s3', 'soil-sensor', {
      devEui: EUI.s3,
      sensorModel: 'sensecap-s2105',
      reportedBy: ['gw-a'],
      dependsOn: ['gw-a', 'gw-c'],
    }),
    // Reported through the ChirpStack bridge, which relays as gw-c.
    dev('s4', 'soil-sensor', {
      devEui: EUI.s4,
      sensorModel: 'dragino-lse01',
      reportedBy: ['gw-c'],
      dependsOn: ['gw-c'],
    }),
  ],
  users: [{ username: 'kinhte.lora', name: 'Kinh tế', role: 'economics' }],
};

let tmp: string;
let app: TestApp;
/** Embedded mode: the live states are the engine itself, whose check the test drives on its clock. */
const embeddedEngine = () => app.availability as AvailabilityEngine;
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;
const clients: MqttClient[] = [];
/** ChirpStack's times: a whole second at the start, so keys are exact. */
const T0 = Math.floor(Date.now() / 1000) * 1000;

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function upEvent(
  app: string,
  devEui: string,
  o: { fCnt: number; fPort: number; hex: string; ts: number; rx?: Array<[string, number, number]> },
) {
  // As ChirpStack v4 publishes it (integration.proto UplinkEvent, protobuf JSON mapping).
  return {
    deduplicationId: '3b5b5e0a-2f6c-4f7e-9d1a-0c6b9f1e2d3c',
    time: new Date(o.ts).toISOString(),
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
      tenantName: 'ChirpStack',
      applicationId: app,
      applicationName: 'soil',
      deviceProfileId: 'b9a6a0f9-cc52-4a2b-9c3c-3f8b5b6c7d8e',
      deviceProfileName: 'LSE01',
      deviceName: 'sensor',
      devEui,
      tags: {},
    },
    devAddr: '01b2c3d4',
    adr: true,
    dr: 5,
    fCnt: o.fCnt,
    fPort: o.fPort,
    confirmed: false,
    data: Buffer.from(o.hex, 'hex').toString('base64'),
    rxInfo: (o.rx ?? [['0016c001ff10a235', -97, 7.5]]).map(([gatewayId, rssi, snr]) => ({
      gatewayId,
      uplinkId: 4217,
      rssi,
      snr,
      channel: 1,
      location: {},
      context: 'EFwMtA==',
      metadata: { region_config_id: 'as923', region_common_name: 'AS923' },
      crcStatus: 'CRC_OK',
    })),
    txInfo: {
      frequency: 923200000,
      modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } },
    },
  };
}

const LSE01 = 'CE2900F107A5099B6E2890'; // Dragino's documented frame: 19.57 %, 24.59 °C, 28200 µS/cm, 3.625 V
const em500 = (moistureX100: number) => {
  const b = Buffer.from('017564036719010' + '4CA0000057FF000', 'hex');
  b.writeUInt16LE(moistureX100, 9);
  return b.toString('hex');
};
const topicOf = (appId: string, eui: string, event = 'up') =>
  `application/${appId}/device/${eui}/event/${event}`;

async function publish(c: MqttClient, topic: string, body: unknown): Promise<void> {
  await c.publishAsync(topic, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1 });
}

const readings = (deviceId: string, metric?: string) =>
  app.store.query({
    deviceId,
    ...(metric ? { metric } : {}),
    fromTs: T0 - 86_400_000,
    toTs: T0 + 30 * 86_400_000,
  });
const rejects = () =>
  app.db
    .prepare(`SELECT source, reason, device_id AS deviceId, detail FROM rejects ORDER BY id`)
    .all() as Array<{
    source: string;
    reason: string;
    deviceId: string | null;
    detail: string;
  }>;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-lora-'));
  mkdirSync(join(tmp, 'communes'));
  writeFileSync(join(tmp, 'communes', `${C}.yaml`), stringify(COMMUNE));
  app = await startTestApp({
    communesDir: join(tmp, 'communes'),
    clock,
    extra: 'ingest:\n  batchMaxDelayMs: 5',
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => {})));
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

let ns: MqttClient;
describe('a network server account publishing into the embedded broker', () => {
  it('stores the sensor’s readings keyed by the uplink’s own time, with the best gateway and the gateway count', async () => {
    ns = await connectDevice(app, 'gw-a');
    clients.push(ns);
    const ev = upEvent(APP_A, EUI.s1, {
      fCnt: 10,
      fPort: 2,
      hex: LSE01,
      ts: T0,
      rx: [
        ['0016c001ff10a235', -97, 7.5],
        ['0016c001ff10a236', -112, -3],
      ],
    });
    await publish(ns, topicOf(APP_A, EUI.s1), ev);
    const rows = await until(
      () => readings('s1'),
      (r) => r.length >= 7,
    );
    const at = Object.fromEntries(rows.filter((r) => r.ts === T0).map((r) => [r.metric, r.value]));
    expect(at).toMatchObject({
      soilMoisturePct: 19.57,
      soilTempC: 24.59,
      soilEcUsCm: 28200,
      batteryV: 3.625,
      rssiDbm: -97,
      snrDb: 7.5,
      gatewayCount: 2,
    });
    expect(app.availability.get('s1')?.state).toBe('up');
    // The network server's own message is its sign of life too.
    expect(app.availability.get('gw-a')?.lastHeardTs).not.toBeNull();
  });

  it('de-duplicates the same frame (same fCnt) with a reason, and a resend lands on the same key anyway', async () => {
    const before = (await readings('s1')).length;
    await publish(
      ns,
      topicOf(APP_A, EUI.s1),
      upEvent(APP_A, EUI.s1, { fCnt: 10, fPort: 2, hex: LSE01, ts: T0 }),
    );
    await until(rejects, (r) => r.some((x) => x.reason === 'lorawan-duplicate-frame'));
    await app.ingest.flush();
    expect((await readings('s1')).length).toBe(before);
    expect(rejects().find((x) => x.reason === 'lorawan-duplicate-frame')).toMatchObject({
      source: 'lorawan',
      deviceId: 's1',
    });
  });

  it('refuses bad input with its reason, counted, and keeps the good frames around it', async () => {
    const bad: Array<[string, unknown, string]> = [
      [
        topicOf(APP_A, 'ffffffffffffffff'),
        upEvent(APP_A, 'ffffffffffffffff', { fCnt: 1, fPort: 2, hex: LSE01, ts: T0 }),
        'lorawan-unknown-dev-eui',
      ],
      [
        topicOf(APP_A, EUI.s1),
        upEvent(APP_A, EUI.s1, { fCnt: 12, fPort: 2, hex: 'CE2900F107', ts: T0 + 1000 }),
        'lorawan-undecodable',
      ],
      [
        topicOf(APP_A, EUI.s1),
        upEvent(APP_A, EUI.s1, { fCnt: 13, fPort: 42, hex: LSE01, ts: T0 + 2000 }),
        'lorawan-wrong-fport',
      ],
      [
        topicOf(APP_A, EUI.s1),
        { time: new Date(T0).toISOString(), fCnt: 14, data: 'zz' },
        'lorawan-envelope',
      ],
      [topicOf(APP_A, EUI.s1), '{"deviceInfo":', 'lorawan-envelope'],
      [
        topicOf(APP_A, EUI.s1),
        upEvent(APP_X, EUI.s1, { fCnt: 15, fPort: 2, hex: LSE01, ts: T0 + 3000 }),
        'lorawan-forbidden-application',
      ],
    ];
    await publish(
      ns,
      topicOf(APP_A, EUI.s1),
      upEvent(APP_A, EUI.s1, { fCnt: 11, fPort: 2, hex: LSE01, ts: T0 + 500 }),
    );
    for (const [t, body] of bad) await publish(ns, t, body);
    await publish(
      ns,
      topicOf(APP_A, EUI.s1),
      upEvent(APP_A, EUI.s1, { fCnt: 16, fPort: 2, hex: LSE01, ts: T0 + 4000 }),
    );
    const rows = await until(
      () => readings('s1', 'soilMoisturePct'),
      (r) => r.some((x) => x.ts === T0 + 4000),
    );
    expect(rows.map((r) => r.ts)).toEqual([T0, T0 + 500, T0 + 4000]);
    const got = rejects().map((r) => r.reason);
    for (const [, , reason] of bad) expect(got).toContain(reason);
    // An undecodable frame still proves the radio alive: its heartbeat and link metrics are kept.
    expect((await readings('s1', 'heartbeat')).map((r) => r.ts)).toContain(T0 + 1000);
    // Frames 12 and 13 of 11..16 were refused, 14 and 15 never placed: 4 of 6 frames since 10 lost... as the counter sees it.
    const lost = await readings('s1', 'lostUplinksPct');
    expect(lost.at(-1)!.value).toBeGreaterThan(0);
    expect(ns.connected).toBe(true);
    // Counters are written out every second.
    const counts = await until(
      () =>
        app.db.prepare(`SELECT reason, count FROM reject_counts WHERE source = 'lorawan'`).all() as Array<{
          reason: string;
        }>,
      (c) => c.length >= 5,
    );
    expect(counts.map((c) => c.reason)).toContain('lorawan-undecodable');
  });

  it('refuses at the broker an event for an application the account may not publish for', async () => {
    const x = await connectDevice(app, 'gw-x');
    clients.push(x);
    const closed = new Promise<void>((r) => x.once('close', () => r()));
    x.publish(
      topicOf(APP_A, EUI.s1),
      JSON.stringify(upEvent(APP_A, EUI.s1, { fCnt: 99, fPort: 2, hex: LSE01, ts: T0 })),
      { qos: 1 },
    );
    await closed;
    const r = await until(rejects, (rows) =>
      rows.some((y) => y.source === 'broker' && y.reason === 'forbidden-topic'),
    );
    expect(r.find((y) => y.source === 'broker')!.detail).toContain(`not one of gw-x's applicationIds`);
    expect((await readings('s1', 'soilMoisturePct')).some((y) => y.ts === T0 + 99)).toBe(false);
  });

  it('marks a frozen moisture reading degraded with its reason, and up again when it moves', async () => {
    const send = (fCnt: number, m: number, ts: number) =>
      publish(ns, topicOf(APP_A, EUI.s2), upEvent(APP_A, EUI.s2, { fCnt, fPort: 85, hex: em500(m), ts }));
    await send(1, 3150, T0);
    await send(2, 3150, T0 + 1_800_000);
    await until(
      () => app.availability.get('s2')?.state,
      (s) => s === 'up',
    );
    await send(3, 3150, T0 + 3_600_000);
    const d = await until(
      () => app.availability.get('s2'),
      (s) => s?.state === 'degraded',
    );
    expect(d).toMatchObject({ reason: 'frozen-value', params: { metric: 'soilMoisturePct', hours: 1 } });
    await send(4, 3200, T0 + 3_700_000);
    await until(
      () => app.availability.get('s2')?.state,
      (s) => s === 'up',
    );
  });

  it('turns join storms and ChirpStack log, status, ack and txack events into the sensor’s events and link metrics', async () => {
    const info = { applicationId: APP_A, devEui: EUI.s3 };
    for (let i = 0; i < 3; i++)
      await publish(ns, topicOf(APP_A, EUI.s3, 'join'), {
        time: new Date(T0 + i * 60_000).toISOString(),
        deviceInfo: info,
        devAddr: '01020304',
      });
    await publish(ns, topicOf(APP_A, EUI.s3, 'log'), {
      time: new Date(T0).toISOString(),
      deviceInfo: info,
      level: 'WARNING',
      code: 'UPLINK_F_CNT_RESET',
      description: 'frame-counter reset',
      context: {},
    });
    await publish(ns, topicOf(APP_A, EUI.s3, 'status'), {
      time: new Date(T0).toISOString(),
      deviceInfo: info,
      margin: 12,
      batteryLevel: 81.5,
    });
    await publish(ns, topicOf(APP_A, EUI.s3, 'ack'), {
      time: new Date(T0).toISOString(),
      deviceInfo: info,
      queueItemId: 'q',
      acknowledged: true,
      fCntDown: 3,
    });
    await publish(ns, topicOf(APP_A, EUI.s3, 'txack'), {
      downlinkId: 7,
      time: new Date(T0).toISOString(),
      deviceInfo: info,
      queueItemId: 'q',
      fCntDown: 3,
      gatewayId: '0016c001ff10a235',
    });
    const events = await until(
      () =>
        app.db
          .prepare(`SELECT type, severity FROM device_events WHERE device_id = 's3' ORDER BY id`)
          .all() as Array<{ type: string; severity: string }>,
      (e) => e.length >= 7,
    );
    expect(events.map((e) => e.type)).toEqual([
      'lorawan-join',
      'lorawan-join',
      'lorawan-join',
      'lorawan-join-storm',
      'lorawan-fcnt-reset',
      'lorawan-ack',
      'lorawan-txack',
    ]);
    const m = Object.fromEntries((await readings('s3')).map((r) => [r.metric, r.value]));
    expect(m).toMatchObject({ batteryPct: 81.5, linkMarginDb: 12 });
  });
});

let connectDeviceLater: MqttClient;
beforeAll(async () => {
  connectDeviceLater = await connectDevice(app, 'gw-b');
  clients.push(connectDeviceLater);
});

describe('the ChirpStack bridge, from a real mosquitto standing in for ChirpStack’s broker', () => {
  let mosq: RunningMosquitto;
  let bridge: ChirpStackBridge;
  let publisher: Publisher;

  beforeAll(async () => {
    mosq = await startMosquitto(join(tmp, 'chirpstack-broker'), 'allow_anonymous true');
    const log = pino({ level: 'silent' });
    publisher = new Publisher({
      url: app.mqttUrl,
      gatewayId: 'gw-c',
      password: app.devicePasswords.get('gw-c')!,
      bufferFile: join(tmp, 'bridge-buffer.sqlite'),
      bufferMaxRows: 10_000,
      log,
    });
    publisher.start();
    const config = BridgeConfigSchema.parse({
      url: mosq.url,
      applicationIds: [APP_C],
      clientId: 'cx-bridge-test',
    });
    bridge = new ChirpStackBridge(config, publisher, { communeId: C, deviceId: 'gw-c' }, log);
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    await publisher?.stop();
    await mosq?.stop();
  });

  it('relays up events published with mosquitto_pub and mqtt.js into the store, and skips other applications', async () => {
    const ts = clock();
    execFileSync('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mosq.port),
      '-q',
      '1',
      '-t',
      topicOf(APP_C, EUI.s4),
      '-m',
      JSON.stringify(upEvent(APP_C, EUI.s4, { fCnt: 1, fPort: 2, hex: LSE01, ts })),
    ]);
    const c = await mqtt.connectAsync(mosq.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await c.publishAsync(
      topicOf(APP_C, EUI.s4),
      JSON.stringify(upEvent(APP_C, EUI.s4, { fCnt: 2, fPort: 2, hex: LSE01, ts: ts + 1000 })),
      { qos: 1 },
    );
    await c.publishAsync(
      topicOf(APP_A, EUI.s1),
      JSON.stringify(upEvent(APP_A, EUI.s1, { fCnt: 77, fPort: 2, hex: LSE01, ts: ts + 2000 })),
      { qos: 1 },
    );
    // An unknown DevEUI reaches ingest and its reject log, as in the embedded case.
    await c.publishAsync(
      topicOf(APP_C, 'a8404100000000ff'),
      JSON.stringify(upEvent(APP_C, 'a8404100000000ff', { fCnt: 1, fPort: 2, hex: LSE01, ts })),
      { qos: 1 },
    );
    await c.endAsync();
    const rows = await until(
      () => readings('s4', 'soilMoisturePct'),
      (r) => r.length >= 2,
    );
    expect(rows.map((r) => [r.ts, r.value])).toEqual([
      [ts, 19.57],
      [ts + 1000, 19.57],
    ]);
    await until(rejects, (r) =>
      r.some((x) => x.reason === 'lorawan-unknown-dev-eui' && x.detail.includes('a8404100000000ff')),
    );
    // Other applications are not even subscribed to: the bridge asks ChirpStack's broker for its own.
    expect(bridge.stats()).toMatchObject({ relayed: 3, skipped: 0 });
    expect(app.availability.get('s4')?.state).toBe('up');
  });
});

describe('liveness: N missed uplinks, and a silent LoRa gateway as one root cause', () => {
  it('is down after the model’s N missed intervals (or the device’s own N), unreachable only when all its gateways are down', async () => {
    const now = clock();
    // Fresh uplinks from every sensor of gw-a, on our receive clock.
    await publish(
      ns,
      topicOf(APP_A, EUI.s1),
      upEvent(APP_A, EUI.s1, { fCnt: 40, fPort: 2, hex: LSE01, ts: now }),
    );
    await publish(
      ns,
      topicOf(APP_A, EUI.s2),
      upEvent(APP_A, EUI.s2, { fCnt: 40, fPort: 85, hex: em500(2900), ts: now }),
    );
    await publish(
      ns,
      topicOf(APP_A, EUI.s3),
      upEvent(APP_A, EUI.s3, { fCnt: 40, fPort: 3, hex: '010610245E0000010710BCB10000A3D9', ts: now }),
    );
    const gwc = await connectDevice(app, 'gw-c');
    clients.push(gwc);
    await publish(gwc, `cx/v1/${C}/gw-c/heartbeat`, { v: 1 });
    await publish(connectDeviceLater, `cx/v1/${C}/gw-b/heartbeat`, { v: 1 });
    for (const id of ['s1', 's2', 's3', 'gw-a', 'gw-b', 'gw-c'])
      await until(
        () => [id, app.availability.get(id)?.state, app.availability.get(id)?.reason],
        ([, s]) => s === 'up',
        3000,
      );
    // Network servers and gateways go silent; 1,300 s later: past s2's 2 × 600 s + 60 s, inside s1's 3 × 1,200 s + 120 s.
    offsetMs += 1_300_000;
    embeddedEngine().check();
    expect(app.availability.get('gw-a')?.state).toBe('down');
    expect(app.availability.get('gw-b')?.state).toBe('up');
    expect(app.availability.get('s2')).toMatchObject({
      state: 'unreachable',
      reason: 'upstream-down',
      params: { deviceId: 'gw-a' },
    });
    expect(app.availability.get('s1')?.state).toBe('up');
    // Past s1's window (3 × 1,200 s + 120 s).
    offsetMs += 2_500_000;
    embeddedEngine().check();
    expect(app.availability.get('s1')).toMatchObject({ state: 'down', reason: 'heartbeat-late' });
    // Past s3's (SenseCAP: 3 × 3,600 s + 360 s).
    offsetMs += 7_500_000;
    embeddedEngine().check();
    expect(app.availability.get('s3')).toMatchObject({
      state: 'unreachable',
      reason: 'upstreams-down',
      params: { deviceIds: 'gw-a, gw-c' },
    });
  });
});
