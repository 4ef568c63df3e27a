import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Config, ConfigError, loadConfig } from '../../../config/load.ts';
import { embeddedGatewayId } from '../../../config/probe-targets.ts';
import { COMMUNE_ROLES } from '../../../config/schema/commune.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../../services/broker/client-budget.ts';
import { DEVICE_TYPES, deviceTypes } from '../../../services/device-types/registry.ts';

const SHIPPED = fileURLToPath(new URL('../../../config/canhxa.yaml', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../config/canhxa.example.yaml', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Temp config folders

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * Writes a service file and commune files into a fresh temp folder; returns the service file.
 * Values may be objects (written as YAML) or raw text (for syntax errors).
 */
function writeConfig(
  opts: { service?: string | object; communes?: Record<string, string | object> } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-config-'));
  made.push(dir);
  mkdirSync(join(dir, 'communes'));
  const text = (v: string | object) => (typeof v === 'string' ? v : stringify(v));
  const serviceFile = join(dir, 'canhxa.yaml');
  writeFileSync(serviceFile, text(opts.service ?? { dataDir: './data', communesDir: './communes' }));
  for (const [name, content] of Object.entries(opts.communes ?? { 'thu.yaml': commune() })) {
    writeFileSync(join(dir, 'communes', name), text(content));
  }
  return serviceFile;
}

/** A small valid commune; tests break one thing in it. */
function commune() {
  return {
    commune: { id: 'thu', name: 'Xã Thử', province: 'Đồng Nai', center: { lat: 11.37, lon: 107.37 } },
    hamlets: [
      { id: 'th-ap-01', name: 'Ấp 1', center: { lat: 11.38, lon: 107.37 } },
      { id: 'th-ap-02', name: 'Ấp 2' },
    ],
    sites: [
      {
        id: 'th-ubnd',
        name: 'Trụ sở UBND xã',
        kind: 'ubnd',
        hamlet: 'th-ap-01',
        location: { lat: 11.378, lon: 107.372 },
        uplink: 'th-net-ubnd',
      },
      {
        id: 'th-nvh-ap02',
        name: 'Nhà văn hóa ấp 2',
        kind: 'cultural-house',
        hamlet: 'th-ap-02',
        location: { lat: 11.39, lon: 107.38 },
      },
    ],
    devices: [
      {
        id: 'th-net-ubnd',
        type: 'uplink',
        name: 'Đường truyền UBND',
        site: 'th-ubnd',
        installedAt: '2026-04-01',
      },
      {
        id: 'th-cam-01',
        type: 'camera',
        name: 'Camera cổng UBND',
        site: 'th-ubnd',
        installedAt: '2026-05-01',
      },
      {
        id: 'th-loa-02',
        type: 'loudspeaker',
        name: 'Loa ấp 2',
        site: 'th-nvh-ap02',
        installedAt: '2026-06-01',
      },
    ],
    users: [{ username: 'quantri.thu', name: 'Quản trị viên', role: 'admin' }],
  };
}

/** Loads and returns the ConfigError's problems; fails the test if loading succeeds. */
function problemsOf(serviceFile: string, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    loadConfig(serviceFile, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

/** The single problem mentioning `needle`; fails if there is none or several. */
function problemWith(problems: readonly string[], needle: string): string {
  const hits = problems.filter((p) => p.includes(needle));
  expect(hits, `problems mentioning ${needle}:\n${problems.join('\n')}`).toHaveLength(1);
  return hits[0]!;
}

// ---------------------------------------------------------------------------------------------

describe('shipped configuration', () => {
  const config = loadConfig(SHIPPED, {});
  const taLai = config.communes.find((c) => c.commune.id === 'ta-lai');

  it('loads config/canhxa.yaml with the demo settings', () => {
    expect(config.service.simulator.enabled).toBe(true);
    expect(config.paths.dataDir).toBe(join(REPO, 'data'));
    expect(config.paths.communesDir).toBe(join(REPO, 'config', 'communes'));
    expect(config.service.store).toEqual({ kind: 'sqlite' });
    expect(config.service.api.port).toBe(8080);
  });

  it('has Xã Tà Lài with its 19 hamlets', () => {
    expect(taLai).toBeDefined();
    expect(taLai!.commune.name).toBe('Xã Tà Lài');
    expect(taLai!.commune.province).toBe('Đồng Nai');
    expect(taLai!.hamlets).toHaveLength(19);
  });

  it('has at least 40 devices, every device type, all prefixed "tl-" and traced to the plan', () => {
    // Its built-in probe gateway (ta-lai-probe) is the service's, not the commune's purchase.
    const devices = taLai!.devices.filter((d) => d.id !== embeddedGatewayId('ta-lai'));
    expect(devices.length).toBeGreaterThanOrEqual(40);
    const kinds = new Set(devices.map((d) => d.type));
    for (const t of DEVICE_TYPES) expect(kinds, `no device of type ${t.kind}`).toContain(t.kind);
    for (const d of devices) {
      expect(d.id).toMatch(/^tl-/);
      expect(d.budgetLine, `${d.id} has no budgetLine`).toBeTruthy();
      expect(d.vendor, `${d.id} has no vendor`).toBeTruthy();
      expect(d.model, `${d.id} has no model`).toBeTruthy();
      expect(d.contractor, `${d.id} has no contractor`).toBeTruthy();
      expect(d.installedAt).toMatch(/^2026-/);
    }
  });

  it('has soil sensors reported by and depending on a gateway, and sites behind uplink devices', () => {
    const byId = new Map(taLai!.devices.map((d) => [d.id, d]));
    for (const d of taLai!.devices.filter((x) => x.type === 'soil-sensor')) {
      expect(byId.get(d.reportedBy?.[0] ?? '')?.type, `${d.id} is not reported by a gateway`).toBe('gateway');
      expect(byId.get(d.dependsOn?.[0] ?? '')?.type, `${d.id} does not depend on a gateway`).toBe('gateway');
    }
    const withUplink = taLai!.sites.filter((s) => s.uplink !== undefined);
    expect(withUplink.length).toBeGreaterThan(1);
    for (const s of withUplink) expect(deviceTypes.get(byId.get(s.uplink!)!.type)?.isUplink).toBe(true);
  });

  it('has a user for every role and no password hashes', () => {
    const roles = new Set(taLai!.users.map((u) => u.role));
    for (const r of COMMUNE_ROLES) expect(roles, `no user with role ${r}`).toContain(r);
    for (const u of taLai!.users) expect(u.passwordHash).toBeUndefined();
  });

  it('has a KPI target for every monitored kind except gateways', () => {
    const kpiKinds = new Set(taLai!.kpiTargets.map((k) => k.params.deviceType));
    for (const kind of ['camera', 'loudspeaker', 'wifi-ap', 'uplink', 'soil-sensor'])
      expect(kpiKinds).toContain(kind);
    const cam = taLai!.kpiTargets.find((k) => k.params.deviceType === 'camera' && k.indicator === 'uptime');
    expect(cam).toMatchObject({ target: 98, period: 'month' });
  });

  it('keeps the shipped Vietnamese text in NFC', () => {
    const text = JSON.stringify(taLai);
    expect(text).toBe(text.normalize('NFC'));
  });

  it('config/canhxa.example.yaml is valid too', () => {
    const example = loadConfig(EXAMPLE, {});
    expect(example.service.simulator.enabled).toBe(false);
    expect(example.service.mqtt).toEqual({
      host: '127.0.0.1',
      port: 1883,
      maxPayloadBytes: 16_384,
      limits: DEFAULT_CLIENT_LIMITS,
    });
    expect(example.service.retention).toEqual({ rawDays: 30, minuteDays: 400, hourDays: 3650 });
  });
});

describe('a valid temp configuration', () => {
  it('loads, with defaults filled in', () => {
    const config = loadConfig(writeConfig(), {});
    expect(config.communes).toHaveLength(1);
    expect(config.communes[0]!.kpiTargets).toEqual([]);
    expect(config.service.defaultLocale).toBe('vi');
    // The broker's own defaults (for callers without a config) are the schema's.
    expect(config.service.mqtt.limits).toEqual(DEFAULT_CLIENT_LIMITS);
  });

  it('fills retention defaults and keeps a commune override of some of its keys', () => {
    const c = { ...commune(), retention: { rawDays: 90 } };
    const config = loadConfig(writeConfig({ communes: { 'thu.yaml': c } }), {});
    expect(config.service.retention).toEqual({ rawDays: 30, minuteDays: 400, hourDays: 3650 });
    expect(config.communes[0]!.retention).toEqual({ rawDays: 90 });
  });

  it('applies environment overrides', () => {
    const config = loadConfig(writeConfig(), {
      CANHXA_API_PORT: '9090',
      CANHXA_SIMULATOR: '1',
      CANHXA_MQTT_HOST: '0.0.0.0',
    });
    expect(config.service.api.port).toBe(9090);
    expect(config.service.simulator.enabled).toBe(true);
    expect(config.service.mqtt.host).toBe('0.0.0.0');
  });
});

describe('broken configurations', () => {
  it('reports a misspelt key in a commune file', () => {
    const c = commune();
    (c.devices[1] as Record<string, unknown>).vendr = 'Hikvision';
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'vendr');
    expect(p).toContain('thu.yaml');
    expect(p).toContain('devices[1].vendr');
    expect(p).toContain('unknown key');
    expect(p).toMatch(/Fix: .*spelling/);
  });

  it('reports a misspelt key in the service file', () => {
    const p = problemWith(
      problemsOf(writeConfig({ service: { communesDir: './communes', simulater: { enabled: true } } })),
      'simulater',
    );
    expect(p).toContain('canhxa.yaml');
    expect(p).toContain('unknown key');
    expect(p).toContain('Fix:');
  });

  it('reports an external broker CA file that cannot be read, with its setting and line', () => {
    const p = problemWith(
      problemsOf(
        writeConfig({
          service: {
            communesDir: './communes',
            ingest: {
              source: 'external',
              external: { url: 'mqtts://broker.tinh.example:8883', tls: { caFile: 'pki/ca-xa.pem' } },
            },
          },
        }),
      ),
      'tls.caFile',
    );
    expect(p).toContain('canhxa.yaml');
    expect(p).toContain('ingest.external.tls.caFile');
    expect(p).toMatch(/pki\/ca-xa\.pem" cannot be read/);
    expect(p).toContain('Fix:');
  });

  it('reports a device on a site that does not exist', () => {
    const c = commune();
    c.devices[1]!.site = 'th-nowhere';
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'devices[1].site');
    expect(p).toContain('thu.yaml');
    expect(p).toContain('"th-nowhere" is not a site of this commune');
    expect(p).toMatch(/Fix: use one of th-ubnd, th-nvh-ap02/);
  });

  it('reports an unknown device type', () => {
    const c = commune();
    c.devices[2]!.type = 'loa';
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'devices[2].type');
    expect(p).toContain('thu.yaml');
    expect(p).toContain('"loa" is not a known device type');
    expect(p).toContain('Fix: use one of camera, loudspeaker');
  });

  it('reports a duplicate device id', () => {
    const c = commune();
    c.devices[2]!.id = 'th-cam-01';
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'used again');
    expect(p).toContain('thu.yaml');
    expect(p).toContain('devices[2]');
    expect(p).toContain('"th-cam-01"');
    expect(p).toContain('first at devices[1]');
    expect(p).toContain('Fix: give each a distinct id');
  });

  it('refuses a camera maintainer who is not a technician, and takes one who is', () => {
    const c = commune() as { users: Array<Record<string, unknown>> };
    c.users = [
      { username: 'congan.thu', name: 'Công an', role: 'police', cameraMaintainer: true },
      { username: 'kythuat.thu', name: 'Kỹ thuật', role: 'technician', cameraMaintainer: true },
    ];
    const problems = problemsOf(writeConfig({ communes: { 'thu.yaml': c } }));
    const p = problemWith(problems, 'users[0].cameraMaintainer');
    expect(p).toContain('"congan.thu" is a police');
    expect(p).toContain('Fix: remove cameraMaintainer or list a technician');
    expect(problems.some((x) => x.includes('users[1]'))).toBe(false);
  });

  it('reports a YAML syntax error with line and column', () => {
    const bad = ['commune:', '  id: thu', '  name: Xã Thử', '  province: [Đồng Nai', 'hamlets: []', ''].join(
      '\n',
    );
    const problems = problemsOf(writeConfig({ communes: { 'thu.yaml': bad } }));
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toMatch(/thu\.yaml:\d+:\d+ — YAML syntax: .+\. Fix: /);
    // The unclosed flow sequence opened on line 4 is noticed where the next key starts.
    expect(problems[0]).toMatch(/thu\.yaml:5:1 /);
  });

  it('reports a YAML syntax error in the service file with line and column', () => {
    const problems = problemsOf(
      writeConfig({ service: 'communesDir: ./communes\napi:\n  port: 8080\n   host: x\n' }),
    );
    expect(problems[0]).toMatch(/canhxa\.yaml:\d+:\d+ — YAML syntax: /);
  });

  it('reports a value of the wrong type', () => {
    const c = commune();
    (c.hamlets[0] as Record<string, unknown>).center = { lat: 'bắc', lon: 107.37 };
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'hamlets[0].center.lat');
    expect(p).toContain('thu.yaml');
    expect(p).toContain('expected number');
    expect(p).toContain('found "bắc"');
    expect(p).toContain('Fix: write a number here');
  });

  it('reports a wrong type in the service file', () => {
    const p = problemWith(
      problemsOf(writeConfig({ service: { communesDir: './communes', api: { port: 'tám nghìn' } } })),
      'api.port',
    );
    expect(p).toContain('canhxa.yaml');
    expect(p).toContain('Fix: write a number here');
  });

  it('refuses a plain-text password and does not echo it', () => {
    const c = commune();
    (c.users[0] as Record<string, unknown>).passwordHash = 'matkhau123';
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'users[0].passwordHash');
    expect(p).toContain('thu.yaml');
    expect(p).toContain('never a plain password');
    expect(p).toContain('Fix:');
    expect(p).not.toContain('matkhau123');
  });

  it('reports a retention of zero days in a commune file', () => {
    const c = { ...commune(), retention: { rawDays: 0, hourDays: 3650 } };
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'retention');
    expect(p).toMatch(/thu\.yaml:\d+:\d+: retention\.rawDays/);
    expect(p).toContain('must be at least 1 day');
    expect(p).toContain('found 0');
    expect(p).toContain('Fix: bring the value into range');
  });

  it('reports a fraction of a day in the service retention', () => {
    const service = { communesDir: './communes', retention: { minuteDays: 7.5 } };
    const p = problemWith(problemsOf(writeConfig({ service })), 'retention');
    expect(p).toMatch(/canhxa\.yaml:\d+:\d+: retention\.minuteDays/);
    expect(p).toContain('whole number of days');
    expect(p).toContain('found 7.5');
    expect(p).toContain('Fix: write a whole number here');
  });

  it('reports a misspelt retention key in a commune file', () => {
    const c = { ...commune(), retention: { rawdays: 90 } };
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'retention.rawdays');
    expect(p).toContain('unknown key');
  });

  it('reports an environment override that is not a number', () => {
    const problems = problemsOf(writeConfig(), { CANHXA_API_PORT: 'abc' });
    const p = problemWith(problems, 'CANHXA_API_PORT');
    expect(p).toContain('"abc" is not a number');
    expect(p).toContain('Fix:');
  });

  it('reports an environment override that is not a boolean', () => {
    const p = problemWith(problemsOf(writeConfig(), { CANHXA_SIMULATOR: 'yes' }), 'CANHXA_SIMULATOR');
    expect(p).toContain('not true or false');
  });

  it('reports a communes folder with no commune file', () => {
    const p = problemWith(
      problemsOf(writeConfig({ communes: { 'README.txt': 'not a commune' } })),
      'communesDir',
    );
    expect(p).toContain('canhxa.yaml');
    expect(p).toContain('holds no commune file');
    expect(p).toContain('Fix: add one');
  });

  it('reports a communes folder that does not exist', () => {
    const p = problemWith(problemsOf(writeConfig({ service: { communesDir: './khong-co' } })), 'communesDir');
    expect(p).toContain('cannot be read');
  });

  it('reports several problems at once, across files', () => {
    const a = commune();
    a.devices[0]!.site = 'th-nowhere'; // bad reference
    a.devices[1]!.type = 'toaster'; // unknown type
    a.devices[2]!.id = 'th-cam-01'; // duplicate id
    const b = commune();
    b.commune.id = 'thu-hai';
    b.devices = [];
    b.users = [];
    (b.hamlets[0] as Record<string, unknown>).nam = 'Ấp 1'; // misspelt key
    let error: ConfigError | undefined;
    try {
      loadConfig(writeConfig({ communes: { 'a.yaml': a, 'b.yaml': b } }), {});
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = error!.problems;
    problemWith(problems, 'devices[0].site');
    problemWith(problems, 'devices[1].type');
    problemWith(problems, 'used again');
    problemWith(problems, 'hamlets[0].nam');
    expect(problems.filter((p) => p.includes('a.yaml'))).toHaveLength(3);
    // The schema problem and, in the same run, the reference left dangling by emptying devices.
    problemWith(problems, 'sites[0].uplink');
    expect(
      problems.filter((p) => p.includes('b.yaml')),
      problems.join('\n'),
    ).toHaveLength(2);
    for (const p of problems) expect(p).toContain('Fix:');
    expect(error!.message).toContain(`${problems.length} problems`);
  });
});

describe('the loaded configuration', () => {
  it('is deep-frozen', () => {
    const config: Config = loadConfig(SHIPPED, {});
    const c = config.communes[0]!;
    for (const o of [
      config,
      config.service,
      config.service.api,
      config.paths,
      config.communes,
      c,
      c.commune.center,
      c.devices,
      c.devices[0],
      c.hamlets[0],
      c.users,
    ]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
    expect(() => {
      (config.service.api as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (c.devices as unknown as unknown[]).push({});
    }).toThrow(TypeError);
    expect(() => {
      (c.devices[0] as { name: string }).name = 'khác';
    }).toThrow(TypeError);
  });

  it('normalises Vietnamese text to NFC and trims it', () => {
    const nfd = (s: string) => s.normalize('NFD');
    expect(nfd('Xã Tà Lài')).not.toBe('Xã Tà Lài'); // the test means something only if NFD differs
    const c = commune();
    c.commune.name = nfd('Xã Tà Lài');
    c.commune.province = `  ${nfd('Đồng Nai')} `;
    c.hamlets[0]!.name = nfd('Ấp Bàu Nấu');
    c.devices[1]!.name = nfd('Camera tầm cao Ngã ba');
    c.users[0]!.name = nfd('Nguyễn Thị Ngọc Lan');
    const loaded = loadConfig(writeConfig({ communes: { 'thu.yaml': c } }), {}).communes[0]!;
    expect(loaded.commune.name).toBe('Xã Tà Lài'.normalize('NFC'));
    expect(loaded.commune.name.length).toBe(9);
    expect(loaded.commune.province).toBe('Đồng Nai');
    expect(loaded.hamlets[0]!.name).toBe('Ấp Bàu Nấu'.normalize('NFC'));
    expect(loaded.devices[1]!.name).toBe('Camera tầm cao Ngã ba'.normalize('NFC'));
    expect(loaded.users[0]!.name).toBe('Nguyễn Thị Ngọc Lan'.normalize('NFC'));
  });
});

describe('problems name the line a person has to edit', () => {
  it('reports an unclosed quote at the line and column of the opening quote, not at the end of the file', () => {
    const bad = [
      'commune:',
      '  id: thu',
      '  name: "Xã Thử',
      '  province: Đồng Nai',
      'hamlets: []',
      'sites: []',
      'devices: []',
      '',
    ].join('\n');
    const problems = problemsOf(writeConfig({ communes: { 'thu.yaml': bad } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/thu\.yaml:3:9 — YAML syntax: this " is never closed/);
    expect(problems[0]).toMatch(/Fix: close the value with " on line 3\./);
  });

  it('does the same for a single quote in the service file', () => {
    const problems = problemsOf(
      writeConfig({ service: "communesDir: ./communes\ndataDir: './data\napi:\n  port: 8080\n" }),
    );
    expect(problems[0]).toMatch(/canhxa\.yaml:2:10 — YAML syntax: this ' is never closed/);
  });

  it('names both files and lines of a device id used by two communes', () => {
    const a = commune();
    const b = commune();
    b.commune.id = 'thu-hai';
    b.users = [{ username: 'quantri.thuhai', name: 'Quản trị', role: 'admin' }];
    b.devices = [b.devices[0]!, { ...b.devices[1]!, id: 'th-loa-09' }, b.devices[2]!].map((d, i) =>
      i === 0 ? { ...d, id: 'th2-net-ubnd' } : d,
    );
    b.sites[0]!.uplink = 'th2-net-ubnd';
    const text = (c: object) => stringify(c);
    const file = writeConfig({ communes: { 'a.yaml': a, 'b.yaml': b } });
    const lineOf = (yaml: string, needle: string) =>
      yaml.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const p = problemWith(problemsOf(file), '"th-loa-02"');
    const [lineA, lineB] = [lineOf(text(a), 'id: th-loa-02'), lineOf(text(b), 'id: th-loa-02')];
    expect(p).toMatch(new RegExp(`b\\.yaml:${lineB}:\\d+: devices\\[2\\]\\.id — device "th-loa-02"`));
    expect(p).toMatch(
      new RegExp(`already in commune thu at \\S*a\\.yaml:${lineA}:\\d+ \\(devices\\[2\\]\\.id\\)`),
    );
    expect(p).toContain('Fix: prefix ids with the commune');
  });

  it('gives a schema problem the line of its key, and a missing field the line of its item', () => {
    const c = commune();
    (c.devices[1] as Record<string, unknown>).vendr = 'Hikvision';
    delete (c.devices[2] as Record<string, unknown>).site;
    const yaml = stringify(c);
    const lines = yaml.split('\n');
    const problems = problemsOf(writeConfig({ communes: { 'thu.yaml': c } }));
    const vendr = lines.findIndex((l) => l.includes('vendr:')) + 1;
    expect(problemWith(problems, 'vendr')).toMatch(
      new RegExp(`thu\\.yaml:${vendr}:5: devices\\[1\\]\\.vendr`),
    );
    const item = lines.findIndex((l) => l.includes('id: th-loa-02')) + 1;
    expect(problemWith(problems, 'devices[2].site')).toMatch(
      new RegExp(`thu\\.yaml:${item}:5: devices\\[2\\]\\.site`),
    );
  });

  it('gives a reference problem its line', () => {
    const c = commune();
    c.devices[0]!.site = 'th-nowhere';
    const line = stringify(c)
      .split('\n')
      .findIndex((l) => l.includes('site: th-nowhere'));
    const p = problemWith(problemsOf(writeConfig({ communes: { 'thu.yaml': c } })), 'th-nowhere');
    expect(p).toMatch(new RegExp(`thu\\.yaml:${line + 1}:5: devices\\[0\\]\\.site — `));
  });

  it('gives no line to a value an environment variable set', () => {
    const file = writeConfig({ service: 'communesDir: ./communes\nstore:\n  kind: sqlite\n' });
    const p = problemWith(problemsOf(file, { CANHXA_STORE_KIND: 'mongo' }), 'store.kind');
    expect(p).toMatch(/canhxa\.yaml: store\.kind — /);
  });
});

describe('adapter settings are checked by the adapter schema at load', () => {
  it("refuses a device setting its type's configSchema does not know, naming file, path and fix", () => {
    const c = commune();
    (c.devices[1] as Record<string, unknown>).settings = { rtspPath: '/live' };
    const p = problemWith(
      problemsOf(writeConfig({ communes: { 'thu.yaml': c } })),
      'devices[1].settings.rtspPath',
    );
    expect(p).toContain('thu.yaml');
    expect(p).toContain('unknown key');
    expect(p).toContain('Fix: remove it or check its spelling against the settings of device type camera');
  });

  it('loads empty settings and gives the device its parsed settings', () => {
    const c = commune();
    (c.devices[1] as Record<string, unknown>).settings = {};
    expect(
      loadConfig(writeConfig({ communes: { 'thu.yaml': c } }), {}).communes[0]!.devices[1]!.settings,
    ).toEqual({});
  });

  it("refuses an influxdb store without its database, through the store's own schema", () => {
    const service = {
      communesDir: './communes',
      store: { kind: 'influxdb', url: 'http://127.0.0.1:8086' },
    };
    const p = problemWith(problemsOf(writeConfig({ service })), 'store.database');
    expect(p).toContain('canhxa.yaml');
    expect(p).toContain('Fix: add this required field');
  });
});
