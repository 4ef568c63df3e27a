/**
 * Probe gateways' health through the real service: the built-in `<commune>-probe` gateway reports
 * its health as its own telemetry over MQTT, and GET /api/gateways shows it to technicians (not
 * to leaders); a built-in gateway that cannot start (its disk buffer cannot be opened) leaves the
 * devices it would watch `unknown / adapter-not-running`, never down.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { embeddedGatewayId } from '../../config/probe-targets.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { waitFor } from '../setup/helpers.ts';
import { type Closable, closedPort, tcpListener } from '../standins/probe-targets.ts';

const C = 'xa-gw';
const GW = embeddedGatewayId(C);
const fast = { intervalSec: 2, timeoutMs: 1000, retries: 0, confirmations: 1 };

interface GatewayRow {
  id: string;
  embedded: boolean;
  state: string;
  reason: string;
  params: Record<string, unknown>;
  lastSeenTs: number | null;
  probedDevices: number;
  health: {
    targets: number;
    runs: number | null;
    lagP99Ms: number | null;
    buffered: number | null;
    errorsByReason: Record<string, number>;
  } | null;
}

/** A data folder whose commune has a line answering on TCP and a switch whose port is closed. */
async function folder(port: number, closed: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-gw-'));
  mkdirSync(join(dir, 'communes'));
  mkdirSync(join(dir, 'data'));
  const doc = communeDoc({
    id: C,
    devices: [
      { id: 'gw-net', type: 'uplink', probe: { kind: 'tcp', ...fast, config: { host: '127.0.0.1', port } } },
      {
        id: 'gw-sw',
        type: 'uplink',
        probe: { kind: 'tcp', ...fast, config: { host: '127.0.0.1', port: closed } },
      },
    ],
    users: [
      { username: 'kythuat.gw', name: 'Kỹ thuật', role: 'technician' },
      { username: 'lanhdao.gw', name: 'Lãnh đạo', role: 'leader' },
    ],
  });
  writeFileSync(join(dir, 'communes', `${C}.yaml`), stringify(doc));
  return dir;
}

async function start(dir: string): Promise<TestApp> {
  return startTestApp({
    communesDir: join(dir, 'communes'),
    dataDir: join(dir, 'data'),
    extra: 'ingest: { batchMaxDelayMs: 20 }\ngateway: { heartbeatSec: 5 }',
  });
}

async function gateways(app: TestApp, user: string): Promise<{ status: number; body: GatewayRow[] }> {
  const cookie = await login(app, user, app.userPasswords.get(user)!);
  const res = await fetch(`${app.apiUrl}/api/gateways`, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as GatewayRow[] };
}

describe('probe gateway health', () => {
  let line: Closable;
  let dir: string;
  let app: TestApp;
  beforeAll(async () => {
    line = await tcpListener();
    dir = await folder(line.port, await closedPort());
    app = await start(dir);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await line?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows technicians the built-in gateway: last seen, targets, lag, buffer, runs per trouble reason', async () => {
    const gw = await waitFor(
      async () => {
        const { body } = await gateways(app, 'kythuat.gw');
        const row = body.find((g) => g.id === GW);
        return row?.health && (row.health.errorsByReason['tcp-refused'] ?? 0) > 0 ? row : undefined;
      },
      'a health report counting the refused switch',
      30_000,
      250,
    );
    expect(gw).toMatchObject({ embedded: true, state: 'up', probedDevices: 2 });
    expect(gw.lastSeenTs).toBeGreaterThan(Date.now() - 60_000);
    expect(gw.health).toMatchObject({ targets: 2, buffered: expect.any(Number) });
    expect(gw.health!.runs).toBeGreaterThanOrEqual(gw.health!.errorsByReason['tcp-refused']!);
    expect(gw.health!.lagP99Ms).toEqual(expect.any(Number));
    // Only trouble is counted by reason: the line that answers is not there.
    expect(Object.keys(gw.health!.errorsByReason)).not.toContain('ok');
    expect((await gateways(app, 'lanhdao.gw')).status).toBe(403);
  }, 45_000);
});

describe('a built-in probe gateway that cannot start', () => {
  let dir: string;
  let app: TestApp;
  beforeAll(async () => {
    dir = await folder(await closedPort(), await closedPort());
    // Its disk buffer's folder is a file: the buffer cannot be opened, the gateway cannot start.
    writeFileSync(join(dir, 'data', 'gateway'), 'not a folder');
    app = await start(dir);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves the devices it would watch, and itself, unknown / adapter-not-running, not down', async () => {
    for (const id of ['gw-net', 'gw-sw', GW])
      expect(app.availability.get(id), id).toMatchObject({
        state: 'unknown',
        reason: 'adapter-not-running',
        params: { gatewayId: GW },
      });
    // An adapter's unknown holds through silence (the engine's rule), so they are never judged late.
    const row = (await gateways(app, 'kythuat.gw')).body.find((g) => g.id === GW);
    expect(row).toMatchObject({ state: 'unknown', reason: 'adapter-not-running', health: null });
  });
});
