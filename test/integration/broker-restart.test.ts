import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  readDeviceSecrets,
  type ServiceProcess,
  STREAMING_DEVICE_IDS,
  startServiceProcess,
  storedSeqKeys,
  writeServiceConfig,
} from '../setup/service-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cx-restart-'));
const clients: MqttClient[] = [];
const services: ServiceProcess[] = [];
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  for (const s of services)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const IDS = STREAMING_DEVICE_IDS;

describe('the broker process dies under load and is restarted (this test plays systemd)', () => {
  it('devices reconnect by themselves and nothing they were told was received is lost', async () => {
    // Fixed ports: devices are configured with one address, and the restarted service must be there.
    const configFile = writeServiceConfig(dataDir, [
      `mqtt: { host: 127.0.0.1, port: ${await freePort()} }`,
      `api: { port: ${await freePort()} }`,
      'ingest: { batchMaxDelayMs: 200 }',
    ]);
    const first = await startServiceProcess(configFile);
    services.push(first);
    const secrets = readDeviceSecrets(dataDir);

    // mqtt.js devices as firmware would run them: auto-reconnect every 250 ms, clean session.
    // mqtt.js keeps every unacknowledged QoS 1 publish in its outgoing store, including those made
    // while offline, and sends them again after each reconnect, clean session or not.
    const acked: Array<[string, number]> = [];
    const failed: string[] = [];
    let published = 0;
    const connects = new Map<string, number>();
    const base = Date.now() - 600_000;
    const devices = await Promise.all(
      IDS.map(async (id) => {
        const c = await mqtt.connectAsync(first.mqttUrl, {
          clientId: id,
          username: id,
          password: secrets.get(id)!,
          protocolVersion: 4,
          clean: true,
          reconnectPeriod: 250,
          connectTimeout: 5000,
        });
        clients.push(c);
        connects.set(id, 1);
        c.on('connect', () => connects.set(id, connects.get(id)! + 1));
        c.on('error', () => {});
        return c;
      }),
    );
    let i = 0;
    const timer = setInterval(() => {
      i++;
      for (const [k, c] of devices.entries()) {
        const id = IDS[k]!;
        const ts = base + i * 10 + k;
        published++;
        c.publish(
          `cx/v1/ta-lai/${id}/telemetry`,
          JSON.stringify({ v: 1, ts, metrics: { seqNo: i } }),
          { qos: 1 },
          (err) => (err ? failed.push(`${id}@${ts}: ${err.message}`) : acked.push([id, ts])),
        );
      }
    }, 10);

    await sleep(1500);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const ackedBeforeKill = acked.length;
    await sleep(1000);

    // The supervisor restarts it on the same ports and data folder.
    const second = await startServiceProcess(configFile);
    services.push(second);
    await sleep(1500);
    clearInterval(timer);
    // Everything published, before, during and after the outage, is acknowledged in the end.
    for (let t = 0; t < 200 && acked.length + failed.length < published; t++) await sleep(100);
    expect(failed).toEqual([]);
    expect(acked.length).toBe(published);
    expect(ackedBeforeKill).toBeGreaterThan(100);
    for (const id of IDS) expect(connects.get(id), `${id} reconnected by itself`).toBeGreaterThanOrEqual(2);
    expect(devices.every((c) => c.connected)).toBe(true);

    await Promise.all(clients.splice(0).map((c) => c.endAsync()));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const rows = storedSeqKeys(dataDir);
    const stored = new Set(rows);
    expect(acked.filter(([id, ts]) => !stored.has(`${id}@${ts}`))).toEqual([]);
    // Resent after the restart and stored again, a reading is still one row: (device, metric, ts) is its key.
    expect(stored.size).toBe(rows.length);
  }, 90_000);
});
