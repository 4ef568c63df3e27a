import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';

// A commune of 231 devices: a gateway that stalls, 10 that heartbeat, 20 that flood at QoS 1 and
// 200 that reconnect all at once, twice.
const COMMUNE = 'xa-tai';
const STALLED = 'tx-gw-01';
const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(3, '0')}`);
const HEARTBEATERS = ids('tx-hb', 10);
const FLOODERS = ids('tx-fl', 20);
const STORM = ids('tx-st', 200);
const FLOOD_PER_DEVICE = 300;

const dir = mkdtempSync(join(tmpdir(), 'cx-stall-'));
let app: TestApp;
const clients: MqttClient[] = [];
const topic = (id: string, channel: string) => `cx/v1/${COMMUNE}/${id}/${channel}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  const communesDir = join(dir, 'communes');
  mkdirSync(communesDir);
  mkdirSync(join(dir, 'data'));
  const device = (id: string, type: string) => ({
    id,
    type,
    name: `Thiết bị ${id}`,
    site: 'tx-kp-1',
    installedAt: '2025-01-01',
  });
  // JSON is YAML: the loader reads it like any commune file.
  writeFileSync(
    join(communesDir, `${COMMUNE}.yaml`),
    JSON.stringify({
      commune: { id: COMMUNE, name: 'Xã Thử Tải', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
      hamlets: [{ id: 'tx-ap-1', name: 'Ấp 1' }],
      sites: [
        {
          id: 'tx-kp-1',
          name: 'Ngã ba',
          kind: 'key-point',
          hamlet: 'tx-ap-1',
          location: { lat: 11.37, lon: 107.37 },
        },
      ],
      devices: [
        device(STALLED, 'gateway'),
        ...[...HEARTBEATERS, ...FLOODERS, ...STORM].map((id) => device(id, 'wifi-ap')),
      ],
    }),
  );
  app = await startTestApp({
    communesDir,
    dataDir: join(dir, 'data'),
    extra: 'ingest: { batchMaxDelayMs: 20 }',
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(id: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = await connectDevice(app, id, {
    connectTimeout: 30_000,
    ...opts,
  });
  clients.push(client);
  return client;
}

/** SUBACK return codes (mqtt.js rejects a SUBACK holding 0x80, so the callback API is used). */
function granted(client: MqttClient, filter: string): Promise<number> {
  return new Promise((resolve, reject) =>
    client.subscribe(filter, { qos: 1 }, (err, _subs, packet) =>
      packet ? resolve(Number(packet.granted[0])) : reject(err ?? new Error('no SUBACK')),
    ),
  );
}

describe('a device that stops reading its socket', () => {
  it('slows nobody through a QoS 1 flood and a reconnect storm, and vanishes without harm', async () => {
    const accepted0 = app.ingest.acceptedByDevice.get(STALLED) ?? 0;

    // A gateway with a will subscribes to its own command tree, the only thing it may read. The
    // message flood is not something it can tap: that filter is refused (0x80).
    const stalled = await connect(STALLED, {
      will: {
        topic: topic(STALLED, 'status'),
        payload: Buffer.from('{"v":1,"state":"offline"}'),
        qos: 1,
        retain: false,
      },
    });
    expect(await granted(stalled, topic(STALLED, 'cmd/#'))).toBe(1);
    expect(await granted(stalled, `cx/v1/${COMMUNE}/#`)).toBe(0x80);

    // It stops reading: detached from mqtt.js's parser and paused, so PUBACKs pile up unread in
    // its socket while it keeps writing QoS 1 heartbeats.
    const socket = stalled.stream as unknown as Socket;
    socket.unpipe();
    socket.pause();
    let stalledAcked = 0;
    let stalledSent = 0;
    const stallTimer = setInterval(() => {
      for (let i = 0; i < 20; i++) {
        stalledSent++;
        stalled.publish(
          topic(STALLED, 'heartbeat'),
          JSON.stringify({ v: 1, seq: stalledSent }),
          { qos: 1 },
          (err) => {
            if (!err) stalledAcked++;
          },
        );
      }
    }, 10);

    // Ten devices heartbeat every 100 ms throughout; every one must be acknowledged and accepted.
    const heartbeaters = await Promise.all(HEARTBEATERS.map((id) => connect(id)));
    const hbBefore = new Map(HEARTBEATERS.map((id) => [id, app.ingest.acceptedByDevice.get(id) ?? 0]));
    const hbPending: Array<Promise<unknown>> = [];
    let hbSeq = 0;
    const hbTimer = setInterval(() => {
      hbSeq++;
      for (const [i, c] of heartbeaters.entries()) {
        const p = c.publishAsync(topic(HEARTBEATERS[i]!, 'heartbeat'), JSON.stringify({ v: 1, seq: hbSeq }), {
          qos: 1,
        });
        p.catch(() => {});
        hbPending.push(p);
      }
    }, 100);

    // Twenty devices flood telemetry at QoS 1, ten in flight each.
    const base = Date.now() - 3_600_000;
    const flood = Promise.all(
      FLOODERS.map(async (id, k) => {
        const c = await connect(id);
        let next = 0;
        const lane = async () => {
          while (next < FLOOD_PER_DEVICE) {
            const i = next++;
            await c.publishAsync(
              topic(id, 'telemetry'),
              JSON.stringify({ v: 1, ts: base + i * 10 + k, metrics: { clientCount: i } }),
              { qos: 1 },
            );
          }
        };
        await Promise.all(Array.from({ length: 10 }, lane));
        await c.endAsync();
      }),
    );

    // Two hundred devices reconnect at once, twice (a power cut over a hamlet), each round ending
    // with the connection dropped, not closed: as a power cut would.
    let stormAcked = 0;
    const storm = async () => {
      for (let round = 0; round < 2; round++)
        await Promise.all(
          STORM.map(async (id) => {
            const c = await connect(id);
            await c.publishAsync(topic(id, 'heartbeat'), JSON.stringify({ v: 1, seq: round }), { qos: 1 });
            stormAcked++;
            c.end(true);
          }),
        );
    };
    await Promise.all([flood, storm()]);

    // The stalled device vanishes: its socket is destroyed, and its will tells us so.
    clearInterval(stallTimer);
    expect(stalledSent).toBeGreaterThan(1000);
    expect(stalledAcked).toBe(0);
    const acceptedWhileStalled = (app.ingest.acceptedByDevice.get(STALLED) ?? 0) - accepted0;
    expect(acceptedWhileStalled).toBeGreaterThan(0);
    socket.destroy();
    await sleep(300);
    expect((app.ingest.acceptedByDevice.get(STALLED) ?? 0) - accepted0).toBeGreaterThan(acceptedWhileStalled);

    clearInterval(hbTimer);
    await Promise.all(hbPending);
    for (const id of HEARTBEATERS)
      expect((app.ingest.acceptedByDevice.get(id) ?? 0) - hbBefore.get(id)!, id).toBe(hbSeq);
    expect(stormAcked).toBe(STORM.length * 2);

    // Everything acknowledged is stored, and the broker still takes a new connection.
    await app.ingest.flush();
    const stored = await app.store.query({
      metric: 'clientCount',
      fromTs: 0,
      toTs: Number.MAX_SAFE_INTEGER,
      limit: 1_000_000,
    });
    expect(stored.filter((r) => r.deviceId.startsWith('tx-fl-')).length).toBe(
      FLOODERS.length * FLOOD_PER_DEVICE,
    );
    const late = await connect(HEARTBEATERS[0]!);
    await late.publishAsync(topic(HEARTBEATERS[0]!, 'heartbeat'), JSON.stringify({ v: 1 }), { qos: 1 });
  }, 120_000);
});
