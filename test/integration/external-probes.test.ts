/**
 * With an external broker (Debian mosquitto, files from `npm run mosquitto-config`), the process
 * serving the API runs the built-in probe gateway too: it logs in to mosquitto as `<commune>-probe`
 * with its own generated password, the broker's ACL lets it publish for the devices it probes, and
 * the commune's ingest shard (held by this same process here) takes its verdicts like any
 * gateway's. Before, nothing probed unless someone started `npm run gateway`.
 *
 * The broker speaks MQTT over TLS with a certificate from the commune's own CA, which only the
 * `ingest.external.tls.caFile` setting makes trusted: both the ingest shard and the built-in
 * gateway must take it from there to get in at all.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../config/load.ts';
import { embeddedGatewayId } from '../../config/probe-targets.ts';
import { type RunningApp, startApp } from '../../services/app.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { waitFor } from '../setup/helpers.ts';
import { externalBrokerSetup, type RunningMosquitto, startMosquitto } from '../setup/mosquitto.ts';
import { privateCa } from '../setup/private-ca.ts';
import { type Closable, tcpListener } from '../standins/probe-targets.ts';

const C = 'xa-ext';
const fast = { intervalSec: 2, timeoutMs: 1000, retries: 0, confirmations: 1 };

let dir: string;
let line: Closable;
let broker: RunningMosquitto | undefined;
let app: RunningApp | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cx-extprobe-'));
  line = await tcpListener();
  mkdirSync(join(dir, 'communes'));
  const doc = communeDoc({
    id: C,
    devices: [
      {
        id: 'ext-net',
        type: 'uplink',
        probe: { kind: 'tcp', ...fast, config: { host: '127.0.0.1', port: line.port } },
      },
    ],
    users: [{ username: 'quantri.ext', name: 'Quản trị', role: 'admin' }],
  });
  writeFileSync(join(dir, 'communes', `${C}.yaml`), stringify(doc));
  const ca = privateCa(dir);
  const {
    configFile,
    writeConfig,
    generated: out,
  } = externalBrokerSetup(dir, {
    lines: ['availability: { checkIntervalMs: 100, aliveIntervalMs: 300 }', 'gateway: { heartbeatSec: 5 }'],
    external: 'tls: { caFile: ca.pem }',
  });
  const generated = readFileSync(join(out, 'canhxa.conf'), 'utf8');
  broker = await startMosquitto(join(dir, 'mosquitto'), generated, ca);
  expect(broker.url).toMatch(/^mqtts:/);
  writeConfig(broker.url);
  app = await startApp({ config: loadConfig(configFile, {}), log: createLogger({ level: 'error' }) });
}, 60_000);

afterAll(async () => {
  await app?.stop();
  await broker?.stop();
  await line?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('probes with an external broker', () => {
  it('runs the built-in probe gateway against mosquitto over TLS from a private CA: its verdicts and its heartbeat arrive', async () => {
    expect(app!.gateways?.size).toBe(1);
    const net = await waitFor(
      () => {
        const v = app!.availability.get('ext-net');
        return v?.state === 'up' ? v : undefined;
      },
      'the probed line up through mosquitto',
      45_000,
      100,
    );
    expect(net.reason).toBe('message');
    const gw = await waitFor(
      () => (app!.availability.get(embeddedGatewayId(C))?.state === 'up' ? true : undefined),
      'the probe gateway heard',
      30_000,
      100,
    );
    expect(gw).toBe(true);
    expect(app!.gateways!.stats()[0]!.publisher).toMatchObject({ connected: true, dropped: 0 });
  }, 90_000);
});
