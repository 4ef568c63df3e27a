import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadBridgeConfig } from '../../../../gateway/lorawan/cli-config.ts';
import { GatewayConfigError } from '../../../../gateway/runtime/config.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'cx-bridge-cfg-'));
// The CA the good file names, beside it (its content is read only when connecting).
writeFileSync(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(doc: unknown, name = 'bridge.yaml'): string {
  const f = join(dir, name);
  writeFileSync(f, typeof doc === 'string' ? doc : stringify(doc));
  return f;
}
function problems(f: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    loadBridgeConfig(f, env);
  } catch (err) {
    if (err instanceof GatewayConfigError) return err.problems;
    throw err;
  }
  return [];
}

const GOOD = {
  communeId: 'loc-tan',
  gatewayId: 'lt-gw-lora-01',
  broker: { url: 'mqtt://127.0.0.1:1883', passwordEnv: 'OURS' },
  chirpstack: {
    url: 'mqtts://chirpstack.example:8883',
    username: 'canhxa',
    passwordEnv: 'THEIRS',
    tls: { caFile: 'ca.pem' },
    applicationIds: ['6f1d3c2a-5b7e-4a19-9c3d-2e8f0a4b7c61'],
  },
};

describe('the LoRaWAN bridge file', () => {
  it('resolves both passwords from the environment, paths beside the file, and the default topic', () => {
    const c = loadBridgeConfig(file(GOOD), { OURS: 'a-secret', THEIRS: 'b-secret' });
    expect(c.broker).toEqual({ url: 'mqtt://127.0.0.1:1883', password: 'a-secret' });
    expect(c.chirpstack.password).toBe('b-secret');
    expect(c.chirpstack.tls?.caFile).toBe(join(dir, 'ca.pem'));
    expect(c.chirpstack.topicTemplate).toBe('application/{application_id}/device/{dev_eui}/event/{event}');
    expect(c.bufferFile).toBe(join(dir, 'data/lorawan-bridge-buffer.sqlite'));
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('lists every problem with file, path and fix, and never echoes a password', () => {
    const bad = {
      ...GOOD,
      gatewayId: 'LT GW',
      chirpstack: {
        ...GOOD.chirpstack,
        url: 'http://chirpstack',
        topicTemplate: 'application/{application_id}/{event}',
        password: 'in-clear',
      },
    };
    const out = problems(file(bad, 'bad.yaml'));
    expect(out.length).toBeGreaterThanOrEqual(4);
    for (const p of out) expect(p).toMatch(/bad\.yaml: \S+ — .+ Fix: /);
    expect(out.join('\n')).toContain('gatewayId — must be lower-case letters');
    expect(out.join('\n')).toContain('chirpstack.url — must be an mqtt:// or mqtts:// URL');
    expect(out.join('\n')).toContain(
      'chirpstack.topicTemplate — must name {application_id}, {dev_eui} and {event}',
    );
    expect(out.join('\n')).toContain('chirpstack.password — unknown key');
    expect(out.join('\n')).not.toContain('in-clear');
  });

  it('names an unset password variable', () => {
    expect(problems(file(GOOD, 'env.yaml'), { OURS: 'x' })).toEqual([
      expect.stringMatching(/env\.yaml: chirpstack\.passwordEnv/),
    ]);
    expect(problems(file(GOOD, 'env.yaml'), { OURS: 'x' })[0]).toContain(
      "chirpstack.passwordEnv — THEIRS is not set. Fix: export THEIRS with the password of ChirpStack's MQTT integration user.",
    );
  });

  it('names a TLS file that cannot be read, for either broker, before anything connects', () => {
    const doc = {
      ...GOOD,
      broker: { ...GOOD.broker, tls: { caFile: 'ours-ca.pem' } },
      chirpstack: { ...GOOD.chirpstack, tls: { caFile: 'missing-ca.pem' } },
    };
    const out = problems(file(doc, 'tls.yaml'), { OURS: 'x', THEIRS: 'y' });
    expect(out).toEqual([
      expect.stringContaining('tls.yaml: broker.tls.caFile — "'),
      expect.stringContaining('tls.yaml: chirpstack.tls.caFile — "'),
    ]);
    expect(out[1]).toContain(`${join(dir, 'missing-ca.pem')}" cannot be read. Fix: point it at the PEM file`);
  });

  it('the shipped example loads, given its two passwords', () => {
    const c = loadBridgeConfig(join(ROOT, 'gateway/lorawan-bridge.example.yaml'), {
      CANHXA_LORAWAN_BRIDGE_PASSWORD: 'x',
      CHIRPSTACK_MQTT_PASSWORD: 'y',
    });
    expect(c.gatewayId).toBe('lt-gw-lora-01');
  });

  it('npm run lorawan-bridge refuses to start on a bad file, printing the problems', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(ROOT, 'gateway/lorawan/main.ts'),
        '--config',
        file({ ...GOOD, gatewayId: 'X' }, 'cli.yaml'),
      ],
      { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '' } },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cli.yaml: gatewayId — must be lower-case letters');
  }, 70_000);
});
