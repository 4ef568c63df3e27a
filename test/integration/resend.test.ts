import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';

const run = promisify(execFile);
let app: TestApp;
let proxy: PubackDropper;

/** What the proxy saw a client send: every PUBLISH, with its packet id and DUP flag. */
interface SeenPublish {
  readonly packetId: number;
  readonly dup: boolean;
  readonly topic: string;
}

interface PubackDropper {
  readonly port: number;
  readonly published: SeenPublish[];
  /** The next PUBACK from the broker is not passed on, and both sides of its connection are cut. */
  dropNextPuback(): void;
  close(): Promise<void>;
}

/** Splits an MQTT byte stream into whole packets (fixed header, remaining length, body). */
function packets(socket: Socket, onPacket: (p: Buffer) => void): void {
  let buf = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      let len = 0;
      let mul = 1;
      let i = 1;
      for (; i < buf.length && i <= 4; i++) {
        len += (buf[i]! & 0x7f) * mul;
        mul *= 128;
        if ((buf[i]! & 0x80) === 0) break;
      }
      if (i >= buf.length || buf.length < i + 1 + len) return;
      const p = buf.subarray(0, i + 1 + len);
      buf = buf.subarray(i + 1 + len);
      onPacket(p);
    }
  });
}

/**
 * A TCP proxy between clients and the broker that can lose one PUBACK: the broker has taken the
 * message (spooled it and acknowledged it), the client never hears so, and its connection breaks,
 * as on a flaky uplink. The client then resends after it reconnects.
 */
async function startProxy(brokerPort: number): Promise<PubackDropper> {
  const published: SeenPublish[] = [];
  let drop = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(brokerPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
    packets(client, (p) => {
      if (p[0]! >> 4 === 3) {
        // PUBLISH: fixed header, then topic (length-prefixed), then the packet id at QoS > 0.
        let at = 1;
        while (p[at]! & 0x80) at++;
        at++;
        const topicLen = p.readUInt16BE(at);
        const qos = (p[0]! >> 1) & 3;
        published.push({
          packetId: qos > 0 ? p.readUInt16BE(at + 2 + topicLen) : 0,
          dup: (p[0]! & 0x08) !== 0,
          topic: p.subarray(at + 2, at + 2 + topicLen).toString(),
        });
      }
      upstream.write(p);
    });
    packets(upstream, (p) => {
      if (p[0]! >> 4 === 4 && drop) {
        drop = false;
        return cut();
      }
      client.write(p);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    published,
    dropNextPuback: () => {
      drop = true;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function readings(deviceId: string): Promise<number[]> {
  await app.ingest.flush();
  const rows = await app.store.query({
    deviceId,
    metric: 'clientCount',
    fromTs: 0,
    toTs: Date.now() + 60_000,
  });
  return rows.map((r) => r.value);
}

const topicOf = (deviceId: string) => `cx/v1/ta-lai/${deviceId}/telemetry`;
// No ts of their own: the service stamps them, so a resend taken for new would be a second reading.
const doc = (n: number) => JSON.stringify({ v: 1, metrics: { clientCount: n } });

beforeAll(async () => {
  app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }' });
  proxy = await startProxy(app.mqttPort);
});
afterAll(async () => {
  await proxy?.close();
  await app?.stop();
});

describe('a QoS 1 message whose PUBACK was lost on the way back', () => {
  it('mqtt.js: resent after the reconnect with its packet id (and no DUP) is stored once', async () => {
    const id = 'tl-wifi-ubnd';
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${proxy.port}`, {
      clientId: id,
      username: id,
      password: app.devicePasswords.get(id)!,
      protocolVersion: 4,
      reconnectPeriod: 100,
    });
    try {
      const skippedBefore = app.ingest.stats().duplicatesSkipped;
      proxy.dropNextPuback();
      // Resolves on the PUBACK of the resend.
      await c.publishAsync(topicOf(id), doc(41), { qos: 1 });
      const sent = proxy.published.filter((p) => p.topic === topicOf(id));
      expect(sent).toHaveLength(2);
      expect(sent[1]!.packetId).toBe(sent[0]!.packetId);
      // mqtt.js 5 resends without DUP: why the key must not depend on the flag.
      expect(sent[1]!.dup).toBe(false);
      expect(await readings(id)).toEqual([41]);
      expect(app.ingest.stats().duplicatesSkipped - skippedBefore).toBe(1);

      // The same bytes again on purpose: a new packet id, a second reading.
      await c.publishAsync(topicOf(id), doc(41), { qos: 1 });
      await c.publishAsync(topicOf(id), doc(41), { qos: 1 });
      expect(await readings(id)).toEqual([41, 41, 41]);
    } finally {
      await c.endAsync();
    }
  }, 60_000);

  it('paho-mqtt (Python): resent after its reconnect (DUP set) is stored once; repeats on purpose are kept', async () => {
    const id = 'tl-wifi-tyt';
    const script = `
import sys, time
import paho.mqtt.client as mqtt
port, cid, pw, topic, doc, repeats = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
c = mqtt.Client(client_id=cid, protocol=mqtt.MQTTv311)
c.username_pw_set(cid, pw)
c.reconnect_delay_set(min_delay=1, max_delay=1)
c.connect('127.0.0.1', int(port))
c.loop_start()
for _ in range(repeats):
    info = c.publish(topic, doc, qos=1)
    info.wait_for_publish(timeout=30)
    if not info.is_published():
        sys.exit('not acknowledged')
c.disconnect()
c.loop_stop()
print('ok')
`;
    expect(app.directory.get(id)).toBeDefined();
    const skippedBefore = app.ingest.stats().duplicatesSkipped;
    proxy.dropNextPuback();
    const args = ['-c', script, String(proxy.port), id, app.devicePasswords.get(id)!, topicOf(id)];
    const first = await run('/usr/bin/python3', [...args, doc(7), '1'], { timeout: 45_000 });
    expect(first.stdout.trim()).toBe('ok');
    const sent = proxy.published.filter((p) => p.topic === topicOf(id));
    expect(sent.map((p) => p.dup)).toEqual([false, true]);
    expect(sent[1]!.packetId).toBe(sent[0]!.packetId);
    expect(await readings(id)).toEqual([7]);
    expect(app.ingest.stats().duplicatesSkipped - skippedBefore).toBe(1);

    // Sent twice on purpose, each acknowledged: two readings.
    const again = await run('/usr/bin/python3', [...args, doc(7), '2'], { timeout: 45_000 });
    expect(again.stdout.trim()).toBe('ok');
    expect(await readings(id)).toEqual([7, 7, 7]);
  }, 90_000);

  it('mosquitto_pub: one-shot runs that number every message 1 are all kept, as are repeated lines of one run', async () => {
    // mosquitto_pub gives up when its connection breaks (it does not resend), so a lost PUBACK
    // cannot be forced with it; what must hold is that its repeats are not taken for resends:
    // every run's first message has packet id 1, and each run ends with DISCONNECT.
    const id = 'tl-cam-01';
    const base = [
      ...['-h', '127.0.0.1', '-p', String(proxy.port), '-V', 'mqttv311', '-q', '1'],
      ...['-i', id, '-u', id, '-P', app.devicePasswords.get(id)!, '-t', topicOf(id)],
    ];
    await run('mosquitto_pub', [...base, '-m', doc(3)]);
    await run('mosquitto_pub', [...base, '-m', doc(3)]);
    const sent = proxy.published.filter((p) => p.topic === topicOf(id));
    expect(sent.map((p) => [p.packetId, p.dup])).toEqual([
      [1, false],
      [1, false],
    ]);
    // Two identical lines in one run: packet ids 1 and 2.
    const lines = run('mosquitto_pub', [...base, '-l']);
    lines.child.stdin!.end(`${doc(3)}\n${doc(3)}\n`);
    await lines;
    expect(await readings(id)).toEqual([3, 3, 3, 3]);
  }, 60_000);
});

describe('a device connected straight to the broker', () => {
  it('repeating the same bytes on one connection, packet id after packet id, keeps every one', async () => {
    const id = 'tl-cam-02';
    const c = await connectDevice(app, id);
    for (let i = 0; i < 5; i++) await c.publishAsync(topicOf(id), doc(9), { qos: 1 });
    await c.endAsync();
    expect(await readings(id)).toEqual([9, 9, 9, 9, 9]);
  });
});
