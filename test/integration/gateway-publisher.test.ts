import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { tcp } from '../../gateway/probes/tcp.ts';
import { Publisher } from '../../gateway/runtime/publisher.ts';
import type { ProbeTarget } from '../../gateway/runtime/scheduler.ts';
import { createLogger } from '../../services/shared/logger.ts';

const log = createLogger({ level: 'silent' });
const GATEWAY = 'tl-gw-probe-01';
const PASSWORD = 'gw-secret-0123456789';

interface Received {
  topic: string;
  doc: { ts: number; metrics?: { seq: number } };
}

/**
 * A real aedes broker on a fixed loopback port that checks the gateway's credentials and records
 * what it accepts. `holdAcks` delays every PUBACK until release() (aedes acks after the hook).
 */
async function startBroker(port = 0, opts: { holdAcks?: boolean } = {}) {
  const received: Received[] = [];
  const held: Array<() => void> = [];
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, cb) =>
      cb(null, client.id === GATEWAY && username === GATEWAY && password?.toString() === PASSWORD),
    authorizePublish: (_client, packet, cb) => {
      received.push({ topic: packet.topic, doc: JSON.parse(packet.payload.toString()) });
      if (opts.holdAcks) held.push(() => cb(null));
      else cb(null);
    },
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    release: () => {
      for (const f of held.splice(0)) f();
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}

const target = (deviceId: string): ProbeTarget => ({
  deviceId,
  communeId: 'ta-lai',
  probe: tcp,
  config: tcp.exampleConfig,
  intervalSec: 60,
  timeoutMs: 1000,
  retries: 0,
  confirmations: 1,
});

describe('gateway publisher', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  function publisher(port: number, dir: string) {
    const p = new Publisher({
      url: `mqtt://127.0.0.1:${port}`,
      gatewayId: GATEWAY,
      password: PASSWORD,
      bufferFile: join(dir, 'buffer.sqlite'),
      bufferMaxRows: 1000,
      reconnectPeriodMs: 100,
      log,
    });
    p.start();
    cleanup.push(() => p.stop());
    return p;
  }

  it('buffers while the broker is down and replays in order with the original timestamps', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-gw-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    let broker = await startBroker();
    const port = broker.port;
    const p = publisher(port, dir);
    const devices = [target('tl-net-ubnd'), target('tl-net-ca')];
    let seq = 0;
    const send = (n: number) => {
      for (let i = 0; i < n; i++) {
        const ts = 1_767_225_600_000 + seq * 1000; // 2026-01-01, one result a second
        p.telemetry(devices[seq % 2]!, { v: 1, ts, metrics: { seq } });
        seq++;
      }
    };
    send(10);
    await expect.poll(() => broker.received.length).toBe(10);
    await broker.stop();
    await expect.poll(() => p.stats().connected).toBe(false);
    send(50); // the broker is unreachable: all of these wait on disk
    expect(p.stats().buffered).toBe(50);
    broker = await startBroker(port);
    cleanup.push(() => broker.stop());
    await expect.poll(() => p.stats().buffered, { timeout: 15_000 }).toBe(0);
    const replayed = broker.received.map((r) => r.doc.metrics!.seq);
    expect(replayed).toEqual(Array.from({ length: 50 }, (_, i) => 10 + i));
    for (const r of broker.received) {
      expect(r.doc.ts).toBe(1_767_225_600_000 + r.doc.metrics!.seq * 1000);
      const device = r.doc.metrics!.seq % 2 === 0 ? 'tl-net-ubnd' : 'tl-net-ca';
      expect(r.topic).toBe(`cx/v1/ta-lai/${device}/telemetry`);
    }
    expect(p.stats()).toMatchObject({ acknowledged: 60, dropped: 0 });
  });

  it('deletes a row only after its PUBACK, and keeps unacknowledged rows for the next run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-gw-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const broker = await startBroker(0, { holdAcks: true });
    cleanup.push(() => broker.stop());
    const p = publisher(broker.port, dir);
    p.status(target('tl-net-ubnd'), {
      v: 1,
      ts: 1_767_225_600_000,
      state: 'down',
      reason: { code: 'probe-timeout', params: { timeoutMs: 5000 } },
    });
    await expect.poll(() => broker.received.length).toBe(1);
    expect(p.stats().buffered).toBe(1); // delivered, not yet acknowledged
    broker.release();
    await expect.poll(() => p.stats().buffered).toBe(0);
    expect(broker.received[0]!.topic).toBe('cx/v1/ta-lai/tl-net-ubnd/status');
  });

  it('a full buffer refuses new results and counts them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-gw-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const p = new Publisher({
      url: 'mqtt://127.0.0.1:1', // nothing listens on port 1
      gatewayId: GATEWAY,
      password: PASSWORD,
      bufferFile: join(dir, 'buffer.sqlite'),
      bufferMaxRows: 100,
      reconnectPeriodMs: 1000,
      log,
    });
    p.start();
    cleanup.push(() => p.stop());
    for (let i = 0; i < 130; i++)
      p.telemetry(target('tl-net-ubnd'), { v: 1, ts: 1_767_225_600_000 + i, metrics: { seq: i } });
    expect(p.stats()).toMatchObject({ buffered: 100, dropped: 30, connected: false });
  });
});
