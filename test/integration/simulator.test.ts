import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Simulator } from '../../gateway/simulator/simulator.ts';
import { DeviceCredentials } from '../../services/auth/device-credentials.ts';
import { Broker, type BrokerMessage } from '../../services/broker/broker.ts';
import { RejectLog } from '../../services/ingest/reject-log.ts';
import { DeviceDirectory } from '../../services/inventory/device-directory.ts';
import { PAYLOAD_SCHEMAS } from '../../services/protocol/payloads.ts';
import { parseTopic } from '../../services/protocol/topics.ts';
import { rootLogger } from '../../services/shared/logger.ts';
import { type Db, openDb } from '../../services/store/db.ts';
import { buildCommune } from '../fixtures/mini-commune.ts';
import { waitFor } from '../setup/helpers.ts';

// One device of every type; one soil sensor reports through its LoRa gateway, the other (behind
// only the site's uplink) connects on its own.
const commune = buildCommune({
  id: 'xa-mo',
  name: 'Xã Mô Phỏng',
  sites: [
    { id: 'ubnd', name: 'UBND xã', kind: 'ubnd', uplink: 'xm-net-01' },
    { id: 'farm', name: 'Trang trại', kind: 'farm', location: { lat: 11.38, lon: 107.36 } },
  ],
  devices: [
    { id: 'xm-net-01', type: 'uplink', name: 'Đường truyền UBND' },
    { id: 'xm-cam-01', type: 'camera', name: 'Camera cổng' },
    { id: 'xm-loa-01', type: 'loudspeaker', name: 'Loa ấp 1' },
    { id: 'xm-wifi-01', type: 'wifi-ap', name: 'Wi-Fi nhà văn hoá' },
    { id: 'xm-gw-01', type: 'gateway', name: 'Gateway LoRa', site: 'farm' },
    { id: 'xm-soil-01', type: 'soil-sensor', name: 'Cảm biến đất 1', site: 'farm', behind: 'xm-gw-01' },
    { id: 'xm-soil-02', type: 'soil-sensor', name: 'Cảm biến đất 2' },
  ],
});

let tmp: string;
let db: Db;
let broker: Broker;
let mqttUrl: string;
let passwords: Map<string, string>;
const directory = new DeviceDirectory({ communes: [commune] });
const devices = [...directory.all()];
const received: BrokerMessage[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-sim-'));
  db = openDb(join(tmp, 'canhxa.db'));
  const credentials = new DeviceCredentials(db);
  passwords = await credentials.ensure(
    devices.map((d) => d.id),
    join(tmp, 'device-passwords.json'),
  );
  broker = new Broker({
    config: { host: '127.0.0.1', port: 0, maxPayloadBytes: 16_384 },
    directory,
    credentials,
    rejects: new RejectLog(db, { kept: 1000 }),
    onPublish: (m, done) => {
      received.push(m);
      done();
    },
    log: rootLogger,
  });
  const { port } = await broker.start();
  mqttUrl = `mqtt://127.0.0.1:${port}`;
});

afterAll(async () => {
  await broker.stop();
  db.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Messages about a device (by the topic), after index `from`. */
function about(deviceId: string, channel: string, from = 0): BrokerMessage[] {
  return received.slice(from).filter((m) => {
    const t = parseTopic(m.topic);
    return t?.deviceId === deviceId && t.channel === channel;
  });
}

const state = (m: BrokerMessage) => JSON.parse(m.payload.toString()) as { state: string; reason?: string };

describe('simulator at speed 50', () => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = new Simulator({ mqttUrl, devices, passwords, speed: 50, flakyShare: 0, log: rootLogger });
    await sim.start();
  });

  afterAll(async () => {
    await sim.stop();
  });

  it('sends heartbeats for every device, each valid against the v1 payload schemas', async () => {
    // Sleepy sensors report every 1800 s / 50 = 36 s, the first within a tenth of that.
    for (const d of devices) {
      const n = d.type.sleepy ? 1 : 2;
      await waitFor(() => about(d.id, 'heartbeat').length >= n, `${n} heartbeat(s) of ${d.id}`);
    }
    for (const d of devices)
      await waitFor(() => about(d.id, 'telemetry').length >= 1, `telemetry of ${d.id}`);
    for (const m of received) {
      const t = parseTopic(m.topic)!;
      const parsed = PAYLOAD_SCHEMAS[t.channel].safeParse(JSON.parse(m.payload.toString()));
      expect(parsed.error, m.topic).toBeUndefined();
      if (t.channel === 'telemetry') {
        const declared = directory.get(t.deviceId)!.type.metrics;
        expect(
          Object.keys((parsed.data as { metrics: object }).metrics).filter((k) => !declared.includes(k)),
          m.topic,
        ).toEqual([]);
      }
    }
    expect(broker.stats().refused).toEqual({});
  });

  it('announces always-on devices online, reports a sleepy sensor through its gateway and lets the other connect itself', () => {
    for (const d of devices.filter((d) => !d.type.sleepy))
      expect(about(d.id, 'status').map(state)[0]?.state, d.id).toBe('online');
    expect(about('xm-soil-01', 'heartbeat').every((m) => m.deviceId === 'xm-gw-01')).toBe(true);
    expect(about('xm-soil-02', 'heartbeat').every((m) => m.deviceId === 'xm-soil-02')).toBe(true);
    expect(about('xm-soil-02', 'status')).toEqual([]);
  });

  it('goOffline drops the socket so the broker publishes the device’s will', async () => {
    const from = received.length;
    await sim.goOffline('xm-cam-01');
    const will = await waitFor(() => about('xm-cam-01', 'status', from)[0], 'the will of xm-cam-01');
    expect(will.deviceId).toBe('xm-cam-01');
    expect(state(will)).toEqual({ v: 1, state: 'offline', reason: 'last-will' });
    // Silent while offline (one beat may have been in flight).
    const quietFrom = received.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(about('xm-cam-01', 'heartbeat', quietFrom)).toEqual([]);
  });

  it('comeBack reconnects: online status, then heartbeats resume', async () => {
    const from = received.length;
    await sim.comeBack('xm-cam-01');
    await waitFor(
      () => about('xm-cam-01', 'heartbeat', from).length >= 3,
      'heartbeats of xm-cam-01 after comeBack',
    );
    expect(
      about('xm-cam-01', 'status', from)
        .map(state)
        .map((s) => s.state),
    ).toEqual(['online']);
  });

  it('sendHeartbeat publishes at once, and the gateway going offline silences the sensor behind it', async () => {
    const from = received.length;
    await sim.sendHeartbeat('xm-wifi-01');
    expect(about('xm-wifi-01', 'heartbeat', from)).toHaveLength(1);
    await sim.goOffline('xm-gw-01');
    await expect(sim.sendHeartbeat('xm-gw-01')).rejects.toThrow(/offline/);
    const silentFrom = received.length;
    await sim.sendHeartbeat('xm-soil-01');
    expect(about('xm-soil-01', 'heartbeat', silentFrom)).toEqual([]);
    await sim.comeBack('xm-gw-01');
    await sim.sendHeartbeat('xm-soil-01');
    expect(about('xm-soil-01', 'heartbeat', silentFrom)).toHaveLength(1);
  });
});

describe('simulator lifecycle', () => {
  afterEach(() => {
    received.length = 0;
  });

  it('stop() disconnects cleanly, so no will fires', async () => {
    const sim = new Simulator({ mqttUrl, devices, passwords, speed: 50, flakyShare: 0, log: rootLogger });
    await sim.start();
    await waitFor(() => broker.stats().clientsConnected >= 5, 'always-on devices connected');
    const from = received.length;
    await sim.stop();
    await waitFor(() => broker.stats().clientsConnected === 0, 'all disconnected');
    await new Promise((r) => setTimeout(r, 300));
    expect(
      received.slice(from).filter((m) => m.topic.endsWith('/status') && state(m).state === 'offline'),
    ).toEqual([]);
  });

  it('flaky devices drop off with a will and come back on their own', async () => {
    // At speed 1000 a flaky device is up 1.2–7.2 s and down 0.12–0.9 s.
    const sim = new Simulator({ mqttUrl, devices, passwords, speed: 1000, flakyShare: 1, log: rootLogger });
    await sim.start();
    try {
      const back = await waitFor(
        () => {
          const statuses = received.filter((m) => m.topic.endsWith('/status'));
          const dropped = statuses.find((m) => state(m).reason === 'last-will');
          return (
            dropped &&
            statuses
              .slice(statuses.indexOf(dropped))
              .find((m) => m.topic === dropped.topic && state(m).state === 'online')
          );
        },
        'a flaky device to drop and return',
        20_000,
      );
      expect(back.deviceId).toBe(parseTopic(back.topic)?.deviceId);
    } finally {
      await sim.stop();
    }
  });

  it('refuses to start without a password for every device', async () => {
    const sim = new Simulator({
      mqttUrl,
      devices,
      passwords: new Map(),
      speed: 1,
      flakyShare: 0,
      log: rootLogger,
    });
    await expect(sim.start()).rejects.toThrow(/no MQTT password for xm-net-01/);
  });
});
