/**
 * Issue #18.3: a device a technician put in maintenance stays in maintenance across a clean restart
 * and a `kill -9` of the real service process. The restart gap is unknown (service-restart), never
 * down; uptime over the window is not lowered; the leader's summary does not count it down.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { uptimePct } from '../../services/kpi/uptime.ts';
import { readDeviceSecrets, type ServiceProcess, startServiceProcess } from '../setup/service-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cx-maint-'));
const services: ServiceProcess[] = [];
afterAll(() => {
  for (const s of services)
    if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const KEPT = 'mt-loa-01';
/** The control: same type and window, not in maintenance. Its fall after each restart proves the window passed. */
const CONTROL = 'mt-loa-02';
/** Heartbeat 1 s + grace 1 s: late within 2 s of silence, so a restart's gap is far past the window. */
const liveness = { heartbeatIntervalSec: 1, graceSec: 1 };

function writeConfig(): string {
  const communesDir = join(dataDir, 'communes');
  mkdirSync(communesDir, { recursive: true });
  writeFileSync(
    join(communesDir, 'xa-bao-tri.yaml'),
    stringify({
      commune: {
        id: 'xa-bao-tri',
        name: 'Xã Bảo Trì',
        province: 'Đồng Nai',
        center: { lat: 11.37, lon: 107.37 },
      },
      hamlets: [{ id: 'bt-ap-1', name: 'Ấp 1' }],
      sites: [
        {
          id: 'bt-nvh',
          name: 'Nhà văn hóa',
          kind: 'cultural-house',
          hamlet: 'bt-ap-1',
          location: { lat: 11.37, lon: 107.37 },
        },
      ],
      devices: [KEPT, CONTROL].map((id, i) => ({
        id,
        type: 'loudspeaker',
        name: `Loa ${i + 1}`,
        site: 'bt-nvh',
        installedAt: '2026-01-01',
        liveness,
      })),
      users: [
        { username: 'kythuat.bt', name: 'Kỹ thuật', role: 'technician' },
        { username: 'lanhdao.bt', name: 'Lãnh đạo', role: 'leader' },
      ],
    }),
  );
  const file = join(dataDir, 'canhxa.yaml');
  writeFileSync(
    file,
    [
      `dataDir: ${JSON.stringify(dataDir)}`,
      `communesDir: ${JSON.stringify(communesDir)}`,
      'mqtt: { port: 0 }',
      'api: { port: 0 }',
      'availability: { checkIntervalMs: 100, aliveIntervalMs: 200 }',
    ].join('\n'),
  );
  return file;
}

/** initial-passwords.txt: "user<TAB>role<TAB>password" lines, written at first start. */
function userPassword(username: string): string {
  const line = readFileSync(join(dataDir, 'initial-passwords.txt'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${username}\t`));
  return line!.split('\t')[2]!;
}

/** Passwords chosen at first sign-in; a restart must keep them (issue #17). */
const chosen = new Map<string, string>();

/**
 * Signs in as a person would: with the generated password at first (which must then be changed:
 * the new one is kept), with the chosen one afterwards, also after a restart.
 */
async function signIn(svc: ServiceProcess, username: string): Promise<string> {
  const res = await fetch(`${svc.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: chosen.get(username) ?? userPassword(username) }),
  });
  expect(res.status, `login ${username}`).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { user } = (await res.json()) as { user: { mustChange: boolean } };
  if (user.mustChange) {
    const newPassword = `Mưa rơi trên mái tranh số ${chosen.size + 7}`;
    const changed = await fetch(`${svc.apiUrl}/api/auth/password`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ currentPassword: userPassword(username), newPassword }),
    });
    expect(changed.status, `password change ${username}`).toBe(200);
    chosen.set(username, newPassword);
  }
  return cookie;
}

interface DeviceView {
  state: string;
  reason: string;
  lastHeardTs: number | null;
}
interface Span {
  state: 'up' | 'degraded' | 'down' | 'unreachable' | 'maintenance' | 'unknown';
  reason: string;
  startTs: number;
  endTs: number | null;
}

async function getJson<T>(svc: ServiceProcess, path: string, cookie: string): Promise<T> {
  const res = await fetch(`${svc.apiUrl}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** Polls until `ok` holds (state, not a schedule); fails with the last value after 20 s. */
async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

describe('maintenance survives restarts of the service process', () => {
  it('after a clean stop and after kill -9: unknown for the gap, then maintenance, never down', async () => {
    const configFile = writeConfig();
    const t0 = Date.now();
    let svc = await startServiceProcess(configFile);
    services.push(svc);
    const secrets = readDeviceSecrets(dataDir);
    const tech = await signIn(svc, 'kythuat.bt');

    // Both devices heartbeat once. Then the technician puts one in maintenance.
    for (const id of [KEPT, CONTROL]) {
      const c = await mqtt.connectAsync(svc.mqttUrl, {
        clientId: id,
        username: id,
        password: secrets.get(id)!,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await c.publishAsync(`cx/v1/xa-bao-tri/${id}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
      await c.endAsync();
    }
    // Heard (it may already be late again on a busy machine: the window is 2 s; any state will do).
    await waitFor(
      () => getJson<DeviceView>(svc, `/api/devices/${KEPT}`, tech),
      (d) => d.lastHeardTs !== null,
      `${KEPT} heard`,
    );
    // Before this the device may have been late between start and its heartbeat: that is not ours.
    const maintenanceTs = Date.now();
    const res = await fetch(`${svc.apiUrl}/api/devices/${KEPT}/maintenance`, {
      method: 'POST',
      headers: { cookie: tech, 'content-type': 'application/json' },
      body: JSON.stringify({ on: true, reason: 'Thay bộ nguồn', untilTs: Date.now() + 86_400_000 }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as DeviceView).state).toBe('maintenance');

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      svc.child.kill(signal);
      expect(await svc.exited).toBe(signal === 'SIGTERM' ? 0 : 'SIGKILL');
      const restartTs = Date.now();
      svc = await startServiceProcess(configFile);
      services.push(svc);
      const leader = await signIn(svc, 'lanhdao.bt');
      const tech2 = await signIn(svc, 'kythuat.bt');
      // The password chosen before the restart is the one that signed in.
      expect(chosen.has('kythuat.bt')).toBe(true);

      // The control, silent like the kept one, is judged late after this restart: the window passed.
      await waitFor(
        () => getJson<Span[]>(svc, `/api/devices/${CONTROL}/history?fromTs=${t0}`, tech2),
        (h) => h[0]!.state === 'down' && h[0]!.reason === 'heartbeat-late' && h[0]!.startTs >= restartTs,
        `${signal}: ${CONTROL} late after the restart`,
      );
      const kept = await getJson<DeviceView>(svc, `/api/devices/${KEPT}`, tech2);
      expect(kept, signal).toMatchObject({ state: 'maintenance', reason: 'maintenance' });

      const now = Date.now();
      const history = await getJson<Span[]>(
        svc,
        `/api/devices/${KEPT}/history?fromTs=${maintenanceTs}`,
        tech2,
      );
      expect(
        history.some((h) => h.state === 'down' || h.state === 'unreachable'),
        signal,
      ).toBe(false);
      // Newest first: back in maintenance after the unknown gap of this restart.
      expect(
        history.slice(0, 2).map((h) => [h.state, h.reason]),
        signal,
      ).toEqual([
        ['maintenance', 'maintenance'],
        ['unknown', 'service-restart'],
      ]);
      expect(history[0]!.startTs).toBeGreaterThanOrEqual(restartTs);
      expect(history[1]!.startTs).toBeLessThan(restartTs);

      // Uptime over the whole window: maintenance and the unknown gap never count against it.
      const uptime = uptimePct(history, maintenanceTs, now);
      expect(uptime.ms.unavailable, signal).toBe(0);
      expect(uptime.ms.unknown).toBeGreaterThan(0);
      expect(uptime.ms.maintenance).toBeGreaterThan(0);

      const summary = await getJson<{ communes: Array<{ counts: Record<string, number> }> }>(
        svc,
        '/api/status/summary',
        leader,
      );
      expect(summary.communes[0]!.counts, signal).toMatchObject({ maintenance: 1, down: 1 });
    }
    svc.child.kill('SIGTERM');
    expect(await svc.exited).toBe(0);
  }, 120_000);
});
