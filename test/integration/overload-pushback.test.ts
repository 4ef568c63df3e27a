import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmbeddedGateway } from '../../config/probe-targets.ts';
import type { Ingest } from '../../services/ingest/ingest.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';

/**
 * Pushback under overload (issue #15 item 2, services/ingest/inflow-gate.ts): real mqtt.js devices
 * flood the embedded broker at QoS 1 and QoS 0, far faster than a slow store takes them (one batch
 * of 5 at a time, 20 ms each, and one pause of 2.5 s mid-flood, as a long checkpoint would). The
 * backlog must stay under its bound, the excess wait on the devices' sockets, every QoS 1 message
 * end up stored, and every QoS 0 message stored or refused and counted (`overload`, see
 * overload-shed-qos0.test.ts): nothing silently dropped.
 */
const BATCH = 5;
/** The gate's high water: BATCH × the writer's batches in flight (batch-writer.ts). */
const HIGH_WATER = BATCH * 8;
const PER_DEVICE = 250;
/** Twenty metrics of 40-character names: a PUBLISH of about 1 KiB. */
const PAD = Array.from({ length: 20 }, (_, k) => `pad${'x'.repeat(35)}${String(k).padStart(2, '0')}`);
const T0 = Date.UTC(2026, 11, 1);

let app: TestApp;
const clients: MqttClient[] = [];

beforeAll(async () => {
  app = await startTestApp({ extra: `ingest: { batchMaxSize: ${BATCH}, batchMaxDelayMs: 5 }` });
  // A slow store: the real SQLite store behind one batch at a time, 20 ms each, and one 2.5 s
  // pause after its 20th batch. The pause is longer than the one second after which the holds
  // used to be released whatever the backlog, and shorter than the gate's stall limit (10 s).
  const write = app.store.write.bind(app.store);
  let chain: Promise<unknown> = Promise.resolve();
  let batches = 0;
  app.store.write = (readings) => {
    const next = chain.then(async () => {
      batches += 1;
      await new Promise((r) => setTimeout(r, batches === 20 ? 2500 : 20));
      return write(readings);
    });
    chain = next.catch(() => undefined);
    return next;
  };
}, 90_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.stop();
});

function message(i: number): string {
  const metrics = PAD.map((m) => `"${m}":${i}`).join(',');
  return `{"v":1,"ts":${T0 + i},"metrics":{"seq":${i},${metrics}}}`;
}

describe('overload pushback', () => {
  it('keeps the backlog bounded, holds the excess on the sockets and loses nothing silently', async () => {
    const devices = [...app.directory.all()].filter((d) => !isEmbeddedGateway(d)).slice(0, 4);
    expect(devices).toHaveLength(4);
    for (const d of devices) clients.push(await connectDevice(app, d.id));
    const topicOf = (i: number) => `cx/v1/${devices[i]!.communeId}/${devices[i]!.id}/telemetry`;
    // Devices 0 and 1 at QoS 1, 2 and 3 at QoS 0; each sends everything at once (mqtt.js queues
    // what its socket does not take).
    const acked = [0, 0];
    const qos1 = [0, 1].map((k) =>
      Promise.all(
        Array.from(
          { length: PER_DEVICE },
          (_, i) =>
            new Promise<void>((resolve, reject) =>
              clients[k]!.publish(topicOf(k), message(i), { qos: 1 }, (err) => {
                if (err) return reject(err);
                acked[k]! += 1;
                resolve();
              }),
            ),
        ),
      ),
    );
    for (const k of [2, 3]) for (let i = 0; i < PER_DEVICE; i++) clients[k]!.publish(topicOf(k), message(i));
    await Promise.all(qos1);
    expect(acked).toEqual([PER_DEVICE, PER_DEVICE]);

    const stored = async (k: number) =>
      (
        await app.store.query({
          deviceId: devices[k]!.id,
          metric: 'seq',
          fromTs: T0,
          toTs: T0 + PER_DEVICE,
          limit: 10_000,
        })
      ).map((r) => r.value);
    const ingest = app.ingest as unknown as Ingest;
    await waitFor(
      async () => {
        const n = (await Promise.all([0, 1, 2, 3].map(stored))).map((v) => v.length);
        return (
          n[0] === PER_DEVICE &&
          n[1] === PER_DEVICE &&
          n[2]! + n[3]! + ingest.stats().overloadRefusedQos0 === 2 * PER_DEVICE
        );
      },
      'every QoS 1 message stored, every QoS 0 message stored or counted as refused',
      150_000,
      200,
    );
    const all = Array.from({ length: PER_DEVICE }, (_, i) => i);
    for (const k of [0, 1]) expect((await stored(k)).sort((a, b) => a - b)).toEqual(all);
    for (const k of [2, 3]) expect(new Set(await stored(k)).size).toBe((await stored(k)).length);

    const inflow = ingest.inflow();
    // The gate closed, and while closed took only what each device's last socket read held (one
    // read is at most 64 KiB, here 64 of these messages) beyond its high water.
    const size = Buffer.byteLength(topicOf(0)) + Buffer.byteLength(message(PER_DEVICE)) + 8;
    const perRead = Math.ceil(65_536 / size);
    expect(inflow.closes).toBeGreaterThan(0);
    expect(inflow.held).toBeGreaterThan(0);
    expect(inflow.peakBacklog).toBeLessThanOrEqual(HIGH_WATER + devices.length * perRead);
    expect(inflow.holding).toBe(0);
  }, 240_000);
});
