/**
 * The simulator drives LoRaWAN sensors through the real path: ChirpStack-shaped `up` events, their
 * payloads encoded by each model's codec, published by the simulated network server account into
 * the real embedded broker, decoded by ingest. One sensor's probe is frozen, another's battery dies.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Simulator } from '../../gateway/simulator/simulator.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';

const C = 'xa-sim-lora';
const APP = '6f1d3c2a-5b7e-4a19-9c3d-2e8f0a4b7c61';
const sensor = (id: string, devEui: string, sensorModel: string) => ({
  id,
  type: 'soil-sensor',
  name: `Cảm biến ${id}`,
  site: 'farm',
  installedAt: '2026-01-05',
  reportedBy: ['sl-gw'],
  dependsOn: ['sl-gw'],
  devEui,
  sensorModel,
  uplinkIntervalSec: 60,
  frozenAfterHours: 0.1,
});
const COMMUNE = {
  commune: { id: C, name: 'Xã Mô Phỏng', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
  hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
  sites: [{ id: 'farm', name: 'Vườn', kind: 'farm', hamlet: 'ap-1', location: { lat: 11.37, lon: 107.37 } }],
  devices: [
    {
      id: 'sl-gw',
      type: 'gateway',
      name: 'Gateway UG65',
      site: 'farm',
      installedAt: '2026-01-05',
      applicationIds: [APP],
    },
    sensor('sl-1', 'a840410000000201', 'dragino-lse01'),
    sensor('sl-2', '24e1241000000202', 'milesight-em500-smtc'),
    sensor('sl-3', '2cf7f12000000203', 'sensecap-s2105'),
  ],
};

let tmp: string;
let app: TestApp;
let sim: Simulator;

async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const series = (deviceId: string, metric: string) =>
  app.store.query({ deviceId, metric, fromTs: 0, toTs: Number.MAX_SAFE_INTEGER });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-sim-lora-'));
  mkdirSync(join(tmp, 'communes'));
  writeFileSync(join(tmp, 'communes', `${C}.yaml`), stringify(COMMUNE));
  app = await startTestApp({ communesDir: join(tmp, 'communes') });
  // The simulated farm lives 100 times faster: uplinks every 0.6 s, stamped on that clock.
  const start = Date.now();
  sim = new Simulator({
    mqttUrl: app.mqttUrl,
    devices: [...app.directory.all()],
    passwords: app.devicePasswords,
    speed: 100,
    flakyShare: 0,
    log: pino({ level: 'silent' }),
    clock: () => start + (Date.now() - start) * 100,
    loraFaults: { 'sl-2': 'frozen', 'sl-3': 'dying-battery' },
  });
  await sim.start();
});

afterAll(async () => {
  await sim?.stop();
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('simulated LoRaWAN sensors through the real decoder', () => {
  it('reports every model’s readings and link metrics, decoded from its vendor format', async () => {
    for (const id of ['sl-1', 'sl-2', 'sl-3'])
      await until(
        () => series(id, 'soilMoisturePct'),
        (r) => r.length >= 2,
      );
    const latest = Object.fromEntries(
      (await app.store.latest({ deviceId: 'sl-1' })).map((r) => [r.metric, r.value]),
    );
    expect(Object.keys(latest)).toEqual(
      expect.arrayContaining([
        'soilMoisturePct',
        'soilTempC',
        'soilEcUsCm',
        'batteryV',
        'rssiDbm',
        'gatewayCount',
      ]),
    );
    expect(app.availability.get('sl-1')?.state).toBe('up');
  });

  it('marks the frozen sensor degraded with frozen-value', async () => {
    const d = await until(
      () => app.availability.get('sl-2'),
      (s) => s?.state === 'degraded',
    );
    expect(d).toMatchObject({ reason: 'frozen-value', params: { metric: 'soilMoisturePct', hours: 0.1 } });
    expect(new Set((await series('sl-2', 'soilMoisturePct')).map((r) => r.value)).size).toBe(1);
    expect(app.availability.get('sl-1')?.state).toBe('up');
  });

  it('lets the dying battery run down, then the sensor falls silent', async () => {
    await until(
      () => series('sl-3', 'batteryPct'),
      (r) => r.length > 0 && r.at(-1)!.value <= 3,
    );
    const battery = (await series('sl-3', 'batteryPct')).map((r) => r.value);
    expect(battery[0]).toBeGreaterThan(battery.at(-1)!);
    const silentAt = (await series('sl-3', 'heartbeat')).length;
    const healthy = (await series('sl-1', 'heartbeat')).length;
    // Three more uplinks of a healthy sensor, and none from the dead one.
    await until(
      () => series('sl-1', 'heartbeat'),
      (r) => r.length >= healthy + 3,
    );
    expect((await series('sl-3', 'heartbeat')).length).toBe(silentAt);
  });
});
