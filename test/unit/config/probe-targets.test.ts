/**
 * Probe targets in the commune file (config/probe-targets.ts): each probe's config checked by the
 * probe's own schema at load with file, path and fix; secrets named, resolved from the data
 * folder's probe-secrets.json or the environment, never written in clear nor echoed; the built-in
 * gateway device that reports for the probed devices.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '../../../config/load.ts';
import { secretEnvName } from '../../../config/probe-targets.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const COMMUNITY = 'cong-dong-bi-mat-42';

/** A commune of three devices; `probes` are set on devices[1] and devices[2]. */
function setup(
  probes: { line?: object; ap?: object; apMore?: object },
  opts: { service?: object; secrets?: Record<string, string>; secretsMode?: number } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'cx-probe-targets-'));
  made.push(dir);
  mkdirSync(join(dir, 'communes'));
  mkdirSync(join(dir, 'data'));
  const dev = (id: string, type: string, more: object = {}) => ({
    id,
    type,
    name: id,
    site: 'th-ubnd',
    installedAt: '2026-01-05',
    ...more,
  });
  writeFileSync(
    join(dir, 'communes', 'thu.yaml'),
    stringify({
      commune: { id: 'thu', name: 'Xã Thử', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
      hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
      sites: [
        {
          id: 'th-ubnd',
          name: 'UBND',
          kind: 'ubnd',
          hamlet: 'ap-1',
          location: { lat: 11.37, lon: 107.37 },
          uplink: 'th-net',
        },
      ],
      devices: [
        dev('th-cam', 'camera'),
        dev('th-net', 'uplink', probes.line ? { probe: probes.line } : {}),
        dev('th-ap', 'wifi-ap', { ...(probes.ap ? { probe: probes.ap } : {}), ...probes.apMore }),
      ],
    }),
  );
  if (opts.secrets) {
    const f = join(dir, 'data', 'probe-secrets.json');
    writeFileSync(f, JSON.stringify(opts.secrets));
    chmodSync(f, opts.secretsMode ?? 0o600);
  }
  const file = join(dir, 'canhxa.yaml');
  writeFileSync(file, stringify({ dataDir: './data', communesDir: './communes', ...opts.service }));
  return file;
}

function problems(file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(file, env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

const snmp = (config: object) => ({ kind: 'snmp', config: { version: '2c', host: '10.0.0.1', ...config } });

describe('probe targets in the commune file', () => {
  it('checks each config against its probe schema: file, path and fix', () => {
    const file = setup({ line: { kind: 'tcp', config: { host: '10.0.0.1', port: 70_000 } } });
    const p = problems(file);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /communes\/thu\.yaml(?::\d+:\d+)?: devices\[1\]\.probe\.config\.port — .*\(found 70000\)\. Fix: /,
    );
  });

  it('refuses an unknown probe kind, an unknown key and a timeout not shorter than the interval', () => {
    const p = problems(
      setup({
        line: { kind: 'telnet', config: {} },
        ap: {
          kind: 'http',
          intervalSec: 2,
          timeoutMs: 2000,
          config: { url: 'http://10.0.0.2/', colour: 'red' },
        },
      }),
    );
    expect(p).toEqual([
      expect.stringMatching(
        /devices\[1\]\.probe\.kind — "telnet" is not a known probe\. Fix: use one of icmp, tcp/,
      ),
      expect.stringMatching(/devices\[2\]\.probe\.timeoutMs — .* Fix: make the timeout shorter/),
      expect.stringMatching(/devices\[2\]\.probe\.config\.colour — unknown key\. Fix: remove it/),
    ]);
  });

  it('refuses a secret written in clear, without repeating it', () => {
    const p = problems(setup({ line: snmp({ community: COMMUNITY }) }));
    expect(p[0]).toMatch(
      /devices\[1\]\.probe\.config\.community — a secret written in clear.* Fix: write communityRef/,
    );
    expect(p.join('\n')).not.toContain(COMMUNITY);
  });

  it('names a missing secret, where to put it and its environment variable', () => {
    const p = problems(setup({ line: snmp({ communityRef: 'snmp-thu' }) }));
    expect(p).toEqual([
      expect.stringMatching(
        /devices\[1\]\.probe\.config\.communityRef — secret "snmp-thu" is not set \(.*probe-secrets\.json does not exist\)\. Fix: add "snmp-thu": "…" to .*probe-secrets\.json \(mode 0600\) or set CANHXA_SECRET_SNMP_THU/,
      ),
    ]);
    expect(secretEnvName('snmp-ta-lai')).toBe('CANHXA_SECRET_SNMP_TA_LAI');
  });

  it('resolves secrets from the data folder or the environment; the commune keeps only the name', () => {
    const file = setup(
      {
        line: snmp({ communityRef: 'snmp-thu' }),
        ap: {
          kind: 'http',
          config: { url: 'http://10.0.0.2/', basicAuth: { user: 'u', passwordRef: 'ap-web' } },
        },
      },
      { secrets: { 'snmp-thu': COMMUNITY } },
    );
    const config = loadConfig(file, { CANHXA_SECRET_AP_WEB: 'mat-khau-web' });
    const byDevice = new Map(config.probeTargets.map((t) => [t.deviceId, t.config]));
    expect(byDevice.get('th-net')).toMatchObject({ community: COMMUNITY, port: 161 });
    expect(byDevice.get('th-ap')).toMatchObject({ basicAuth: { user: 'u', password: 'mat-khau-web' } });
    expect(JSON.stringify(config.communes)).not.toContain(COMMUNITY);
    expect(JSON.stringify(config.communes)).toContain('snmp-thu');
  });

  it('refuses a secrets file others can read', () => {
    const file = setup(
      { line: snmp({ communityRef: 'snmp-thu' }) },
      { secrets: { 'snmp-thu': COMMUNITY }, secretsMode: 0o644 },
    );
    expect(problems(file)[0]).toMatch(/readable by others \(mode 644\); run chmod 600/);
  });

  it('does not echo a resolved secret that fails its schema; the path names its Ref', () => {
    const file = setup(
      {
        line: {
          kind: 'snmp',
          config: { version: '3', host: '10.0.0.1', user: { name: 'cx', authKeyRef: 'k', privKeyRef: 'p' } },
        },
      },
      { secrets: { k: 'short', p: 'long-enough-key' } },
    );
    const p = problems(file);
    expect(p).toEqual([expect.stringMatching(/devices\[1\]\.probe\.config\.user\.authKeyRef — /)]);
    expect(p[0]).not.toContain('short');
  });

  it('adds the commune its built-in probe gateway, reporting for every probed device, and a liveness that outlasts the status refresh', () => {
    const config = loadConfig(
      setup({
        line: { kind: 'tcp', intervalSec: 30, config: { host: '10.0.0.1', port: 443 } },
        apMore: { reportedBy: ['th-cam'] },
        ap: { kind: 'http', config: { url: 'http://10.0.0.2/' } },
      }),
      {},
    );
    const devices = new Map(config.communes[0]!.devices.map((d) => [d.id, d]));
    expect(devices.get('thu-probe')).toMatchObject({ type: 'gateway', site: 'th-ubnd' });
    expect(devices.get('th-net')?.reportedBy).toEqual(['thu-probe']);
    expect(devices.get('th-ap')?.reportedBy).toEqual(['th-cam', 'thu-probe']);
    expect(devices.get('th-cam')?.reportedBy).toBeUndefined();
    expect(config.probeTargets.map((t) => [t.deviceId, t.gatewayId])).toEqual([
      ['th-net', 'thu-probe'],
      ['th-ap', 'thu-probe'],
    ]);
    // Status refresh 60 s: window ≥ 60 + 3 runs of 30 s (+10 %) + a timed-out attempt.
    const l = devices.get('th-net')!.liveness!;
    expect(l.heartbeatIntervalSec + l.graceSec).toBeGreaterThanOrEqual(60 + 99 + 10);
  });

  it('with gateway.embedded false runs nothing and wants each probed device to name its gateway', () => {
    const file = setup(
      { line: { kind: 'tcp', config: { host: '10.0.0.1', port: 443 } } },
      { service: { gateway: { embedded: false } } },
    );
    expect(problems(file)).toEqual([
      expect.stringMatching(/devices\[1\]\.probe — gateway\.embedded is false .* Fix: add reportedBy/),
    ]);
  });
});
