/**
 * The probe runtime inside the real service, against real loopback listeners: an internet line
 * probed over HTTP (its status page behind Basic auth, the password a named secret), a
 * loudspeaker probed over TCP behind it, a camera that heartbeats over MQTT behind it. A slow line
 * is degraded and so are the devices behind it, with the line as their cause; a line that stops
 * answering is down after its confirmations and the devices behind it unreachable, one cause;
 * back, everything follows its own evidence again. A probe that cannot judge (its tool missing)
 * leaves its device unknown, never down. Secrets stay out of the API, the log and the data folder.
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer as createTcp, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import { StatusV1 } from '../../services/protocol/payloads.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';

// The gateway machine without ping: the icmp probe cannot judge (probe-tool-missing).
vi.hoisted(() => {
  process.env.CANHXA_PING = '/nonexistent/canhxa-test/ping';
});

const C = 'xa-rc';
const SECRET = 'mk-ONT-7f3a9c2e';
const NET_NAME = 'Đường truyền cáp quang UBND';

/** A listener that can be closed and reopened on the same port. */
class Switchable {
  port = 0;
  private server: Server | HttpServer | null = null;
  private readonly sockets = new Set<Socket>();
  constructor(private readonly make: () => Server | HttpServer) {}
  async open(): Promise<void> {
    const s = this.make();
    s.on('connection', (c: Socket) => {
      this.sockets.add(c);
      c.on('close', () => this.sockets.delete(c));
    });
    await new Promise<void>((r) => s.listen(this.port, '127.0.0.1', r));
    this.port = (s.address() as AddressInfo).port;
    this.server = s;
  }
  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const c of this.sockets) c.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

let slowMs = 0;
const ont = new Switchable(() =>
  createHttp((req, res) => {
    const ok = req.headers.authorization === `Basic ${Buffer.from(`canhxa:${SECRET}`).toString('base64')}`;
    setTimeout(() => res.writeHead(ok ? 200 : 401).end('ONT OK'), slowMs).unref();
  }),
);
const speaker = new Switchable(() => createTcp((s) => s.end()));

const dev = (id: string, type: string, more: object = {}) => ({
  id,
  type,
  name: id === 'rc-net' ? NET_NAME : `Thiết bị ${id}`,
  site: 'rc-ubnd',
  installedAt: '2026-01-05',
  ...more,
});
const fast = { intervalSec: 2, retries: 0, confirmations: 2 };

let tmp: string;
let app: TestApp;
let logText = '';
let cam: MqttClient;
let startedAt = 0;

beforeAll(async () => {
  await Promise.all([ont.open(), speaker.open()]);
  tmp = mkdtempSync(join(tmpdir(), 'cx-rootcause-'));
  mkdirSync(join(tmp, 'communes'));
  mkdirSync(join(tmp, 'data'));
  const secrets = join(tmp, 'data', 'probe-secrets.json');
  writeFileSync(secrets, JSON.stringify({ 'ont-ubnd': SECRET }));
  chmodSync(secrets, 0o600);
  const commune = {
    commune: { id: C, name: 'Xã Thử', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
    hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
    sites: [
      {
        id: 'rc-ubnd',
        name: 'UBND',
        kind: 'ubnd',
        hamlet: 'ap-1',
        location: { lat: 11.37, lon: 107.37 },
        uplink: 'rc-net',
      },
      {
        id: 'rc-nvh',
        name: 'NVH',
        kind: 'cultural-house',
        hamlet: 'ap-1',
        location: { lat: 11.38, lon: 107.38 },
      },
    ],
    devices: [
      dev('rc-net', 'uplink', {
        probe: {
          kind: 'http',
          ...fast,
          timeoutMs: 1900,
          config: {
            url: `http://127.0.0.1:${ont.port}/status`,
            latencyDegradedMs: 400,
            basicAuth: { user: 'canhxa', passwordRef: 'ont-ubnd' },
          },
        },
      }),
      dev('rc-loa', 'loudspeaker', {
        probe: { kind: 'tcp', ...fast, timeoutMs: 1000, config: { host: '127.0.0.1', port: speaker.port } },
      }),
      dev('rc-cam', 'camera', { liveness: { heartbeatIntervalSec: 600, graceSec: 60 } }),
      dev('rc-wifi', 'wifi-ap', {
        site: 'rc-nvh',
        // A window of 8 s: longer than its first verdict takes, far shorter than this file runs.
        liveness: { heartbeatIntervalSec: 6, graceSec: 2 },
        probe: { kind: 'icmp', ...fast, timeoutMs: 1500, config: { host: '127.0.0.1', count: 1 } },
      }),
    ],
    users: [{ username: 'kythuat.rc', name: 'Kỹ thuật', role: 'technician' }],
  };
  writeFileSync(join(tmp, 'communes', `${C}.yaml`), stringify(commune));
  const sink = new Writable({
    write(chunk, _e, cb) {
      logText += chunk.toString();
      cb();
    },
  });
  startedAt = Date.now();
  app = await startTestApp({
    communesDir: join(tmp, 'communes'),
    dataDir: join(tmp, 'data'),
    extra: 'ingest: { batchMaxDelayMs: 20 }\ngateway: { statusRefreshSec: 10 }',
    log: createLogger({ level: 'debug', destination: sink }),
  });
  cam = await connectDevice(app, 'rc-cam');
  await cam.publishAsync(`cx/v1/${C}/rc-cam/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
}, 60_000);

afterAll(async () => {
  cam?.end(true);
  await app?.stop();
  await Promise.all([ont.close(), speaker.close()]);
  rmSync(tmp, { recursive: true, force: true });
});

const view = (id: string) => app.availability.get(id);
async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}: ${JSON.stringify(['rc-net', 'rc-loa', 'rc-cam', 'rc-wifi'].map((d) => [d, view(d)?.state, view(d)?.reason]))}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
const is = (id: string, state: string, reason?: string) => () =>
  view(id)?.state === state && (reason === undefined || view(id)?.reason === reason);
const history = (id: string) => new IntervalLog(app.db).history(id, 0, Date.now() + 1000);
const LINE = { deviceId: 'rc-net', name: NET_NAME, type: 'uplink' };

describe('probes inside the service, root cause', () => {
  it('brings the probed line and loudspeaker up through the built-in gateway, which is up itself', async () => {
    await until('all up', () => is('rc-net', 'up')() && is('rc-loa', 'up')() && is('rc-cam', 'up')());
    await until('gateway heartbeat', is(`${C}-probe`, 'up', 'heartbeat'));
    // Metrics of every run reach the store through the same ingest path.
    await app.ingest.flush();
    const rows = await app.store.query({
      deviceId: 'rc-net',
      metric: 'latencyMs',
      fromTs: 0,
      toTs: Date.now() + 1000,
    });
    expect(rows.length).toBeGreaterThan(0);
  });

  it('a slow line is degraded, and the devices behind it that are up show it as their cause', async () => {
    slowMs = 1000;
    await until('line degraded', is('rc-net', 'degraded', 'latency-high'));
    await until('dependents degraded', () => is('rc-loa', 'degraded')() && is('rc-cam', 'degraded')());
    for (const id of ['rc-loa', 'rc-cam'])
      expect(view(id)).toMatchObject({ reason: 'upstream-degraded', params: LINE });
    slowMs = 0;
    await until('line back', is('rc-net', 'up'));
    await until('dependents back', () => is('rc-loa', 'up')() && is('rc-cam', 'up')());
  });

  it('a line that stops answering is down after its confirmations; the devices behind it are unreachable, one cause', async () => {
    const from = Date.now();
    await ont.close();
    await until('line down', is('rc-net', 'down', 'http-refused'));
    // Its confirmation count: two refused runs, about one interval apart, before the verdict changed.
    expect(view('rc-net')!.sinceTs - from).toBeGreaterThanOrEqual(1500);
    // What is behind a dead line cannot be reached either.
    await speaker.close();
    await until('speaker unreachable', is('rc-loa', 'unreachable', 'upstream-down'));
    expect(view('rc-loa')?.params).toEqual(LINE);
    expect(history('rc-loa').filter((h) => h.state === 'down')).toEqual([]);
    await Promise.all([ont.open(), speaker.open()]);
    await until('all back', () => is('rc-net', 'up')() && is('rc-loa', 'up')());
    expect(view('rc-cam')?.state).toBe('up');
  });

  it('a probe that cannot judge leaves its device unknown with the reason, never down, however long', async () => {
    await until('wifi unknown', is('rc-wifi', 'unknown', 'probe-tool-missing'));
    expect(view('rc-wifi')?.params).toMatchObject({ tool: 'ping' });
    // Its 8-second liveness window has long passed without a sign of life: silence is the
    // monitoring's failure here, not the device's.
    await until('its window passed', () => Date.now() - startedAt > 9000);
    expect(view('rc-wifi')?.state).toBe('unknown');
    expect(history('rc-wifi').filter((h) => h.state === 'down')).toEqual([]);
  });

  it('what the runtime publishes is StatusV1 with exactly the params of each code', () => {
    for (const id of ['rc-net', 'rc-loa', 'rc-wifi']) {
      for (const h of history(id).filter(
        (h) => !['heartbeat', 'message', 'awaiting-evidence'].includes(h.reason),
      )) {
        if (h.reason.startsWith('upstream')) continue; // the engine's own conclusions
        const doc = StatusV1.safeParse({
          v: 1,
          state: h.state,
          reason: { code: h.reason, params: h.params },
        });
        expect(doc.success, `${id} ${h.reason} ${JSON.stringify(h.params)}`).toBe(true);
      }
    }
    // And ingest refused none of them.
    expect(app.ingest.stats().rejected).toBe(0);
  });

  it('keeps the secret out of the API, the log and every file of the data folder but its own', async () => {
    const cookie = await login(app, 'kythuat.rc', app.userPasswords.get('kythuat.rc')!);
    const get = (p: string) => fetch(`${app.apiUrl}${p}`, { headers: { cookie } }).then((r) => r.text());
    const bodies = await Promise.all([
      get('/api/devices'),
      get('/api/devices/rc-net'),
      get('/api/devices/rc-net/history'),
    ]);
    expect(bodies[1]).toContain('rc-net');
    for (const b of bodies) expect(b).not.toContain(SECRET);
    expect(logText.length).toBeGreaterThan(0);
    expect(logText).not.toContain(SECRET);
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) =>
        statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)],
      );
    const holding = files(join(tmp, 'data')).filter((f) => readFileSync(f).includes(SECRET));
    expect(holding.map((f) => f.slice(tmp.length))).toEqual(['/data/probe-secrets.json']);
  });
});
