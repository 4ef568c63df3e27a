import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROBES } from '../../../gateway/probes/registry.ts';
import { GatewayConfigError, loadGatewayConfig } from '../../../gateway/runtime/config.ts';
import { defineRegistry } from '../../../services/shared/registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'cx-gwcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const problems = (file: string, env: NodeJS.ProcessEnv = { GW_PW: 'x' }) => {
  try {
    loadGatewayConfig(file, env);
  } catch (err) {
    if (err instanceof GatewayConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('gateway config', () => {
  it('the example file loads, with the password from the environment', () => {
    const example = resolve(import.meta.dirname, '../../../gateway/gateway.example.yaml');
    const c = loadGatewayConfig(example, { CANHXA_GATEWAY_PASSWORD: 'from-env' });
    expect(c.broker.password).toBe('from-env');
    expect(c.targets.map((t) => t.probe.kind).sort()).toEqual(['dns', 'http', 'icmp', 'snmp', 'tcp']);
    expect(Object.isFrozen(c.targets[0])).toBe(true);
  });

  it('reports every problem with file, path and fix, and never echoes a probe secret', () => {
    const file = write(
      'bad.yaml',
      [
        'gatewayId: tl-gw-probe-01',
        'broker: { url: "mqtt://127.0.0.1:1883", passwordEnv: GW_PW }',
        'targets:',
        '  - { device: tl-a, commune: ta-lai, probe: ping, config: { host: 10.0.0.1 } }',
        '  - { device: tl-b, commune: ta-lai, probe: http, config: { url: "ftp://x/", bodyMatch: "(" } }',
        '  - { device: tl-c, commune: ta-lai, probe: snmp, config: { version: "3", host: 10.0.0.2, user: { name: u, authKey: "sup3r-secret" } } }',
        '  - { device: tl-c, commune: ta-lai, probe: tcp, config: { host: 10.0.0.3, port: 22 }, intervalSec: 10, timeoutMs: 20000 }',
      ].join('\n'),
    );
    const p = problems(file);
    const text = p.join('\n');
    expect(text).toMatch(
      /bad\.yaml: targets\[0\]\.probe — "ping" is not a known probe\. Fix: use one of icmp, tcp, http, dns, snmp/,
    );
    expect(text).toMatch(/targets\[1\]\.config\.url — .*Fix:/);
    expect(text).toMatch(/targets\[1\]\.config\.bodyMatch — is not a valid regular expression/);
    expect(text).toMatch(/targets\[2\]\.config\.user\.privKey — is required for authPriv/);
    expect(text).toMatch(/targets\[3\]\.device — "tl-c" is already probed by targets\[2\]/);
    expect(text).toMatch(/targets\[3\]\.timeoutMs — 20000 ms is longer than the interval/);
    expect(text).not.toContain('sup3r-secret');
    for (const line of p) expect(line).toMatch(/^.*bad\.yaml: .+ — .+\. Fix: .+\.$/);
  });

  it('names a TLS file beside it that cannot be read, and loads once it is there', () => {
    const file = write(
      'tls.yaml',
      [
        'gatewayId: tl-gw-probe-01',
        'broker: { url: "mqtts://127.0.0.1:8883", passwordEnv: GW_PW, tls: { caFile: gw-ca.pem } }',
        'targets:',
        '  - { device: tl-a, commune: ta-lai, probe: tcp, config: { host: 10.0.0.3, port: 22 } }',
      ].join('\n'),
    );
    expect(problems(file)).toEqual([expect.stringMatching(/tls\.yaml: broker\.tls\.caFile/)]);
    expect(problems(file)[0]).toContain(
      `tls.yaml: broker.tls.caFile — "${join(dir, 'gw-ca.pem')}" cannot be read. Fix: point it at the PEM file, readable by the service's user.`,
    );
    write('gw-ca.pem', '-----BEGIN CERTIFICATE-----\n');
    expect(loadGatewayConfig(file, { GW_PW: 'x' }).broker.tls?.caFile).toBe(join(dir, 'gw-ca.pem'));
  });

  it('refuses a misspelt key, a missing password and a YAML error with its line', () => {
    const typo = write(
      'typo.yaml',
      'gatewayId: gw\nbroker: { url: "mqtt://h:1883", passwordEnv: GW_PW }\nconcurency: 3\ntargets: []\n',
    );
    expect(problems(typo).join('\n')).toMatch(/typo\.yaml: concurency — unknown key\. Fix: remove it/);
    const ok =
      'gatewayId: gw\nbroker: { url: "mqtt://h:1883", passwordEnv: GW_PW }\ntargets: [{ device: d, commune: c, probe: tcp, config: { host: h, port: 1 } }]\n';
    expect(problems(write('nopw.yaml', ok), {})).toEqual([
      expect.stringMatching(/broker\.passwordEnv — GW_PW is not set\. Fix: export GW_PW/),
    ]);
    expect(problems(write('yaml.yaml', 'gatewayId: gw\n  broker: [\n'))[0]).toMatch(
      /yaml\.yaml:\d+:\d+ — YAML syntax/,
    );
  });

  it('reads the password from a secrets file (device-secrets.json)', () => {
    write('device-secrets.json', JSON.stringify({ gw: 'from-file' }));
    const file = write(
      'secrets.yaml',
      'gatewayId: gw\nbroker: { url: "mqtt://h:1883", secretsFile: device-secrets.json }\ntargets: [{ device: d, commune: c, probe: tcp, config: { host: h, port: 1 } }]\n',
    );
    expect(loadGatewayConfig(file, {}).broker.password).toBe('from-file');
  });
});

describe('probe registry', () => {
  it('lists every probe file of gateway/probes, each named after its kind', () => {
    const files = readdirSync(resolve(import.meta.dirname, '../../../gateway/probes'))
      .filter((f) => f.endsWith('.ts') && !['probe.ts', 'registry.ts', 'reasons.ts', 'wire.ts'].includes(f))
      .map((f) => f.replace(/\.ts$/, ''));
    expect(files.sort()).toEqual(PROBES.map((p) => p.kind).sort());
  });

  it('refuses a duplicate or non-kebab-case kind at boot', () => {
    expect(() => defineRegistry('probe', [{ kind: 'tcp' }, { kind: 'tcp' }])).toThrow(/registered twice/);
    expect(() => defineRegistry('probe', [{ kind: 'Tcp_Check' }])).toThrow(/kebab-case/);
  });
});
