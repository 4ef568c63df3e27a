import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_OVERRIDES, loadConfig } from '../../config/load.ts';

/**
 * Docker does not run in CI, so the production files are checked by reading them: the compose
 * structure, that every CANHXA_* variable is one config/load.ts understands (and loads), and that
 * the Dockerfile copies and runs files that exist.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Healthcheck {
  test: string[] | string;
  interval?: string;
  timeout?: string;
  retries?: number;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  restart?: string;
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  profiles?: string[];
}
// Merge keys (<<: *worker) as docker compose reads them.
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const services = compose.services;
const byDefault = Object.keys(services).filter((n) => !services[n]!.profiles);
const province = Object.keys(services).filter((n) => services[n]!.profiles?.includes('province'));
/** Bind-mounted folders that a documented command writes before `docker compose up`. */
const GENERATED = new Map([['./mosquitto', 'npm run mosquitto-config']]);
const canhxa = services.canhxa!;
const influxdb = services.influxdb!;
const env = Object.fromEntries(Object.entries(canhxa.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** Dockerfile instructions, continuation lines joined, comments dropped. */
/**
 * Compose's variable interpolation (compose-spec 12-interpolation.md), applied as Compose applies
 * it: to every string value of the parsed file, every service whatever its profile, before
 * profiles are selected (docker/compose#11977). `${VAR}`/`$VAR` (unset: empty), `${VAR:-d}` (unset
 * or empty: d), `${VAR-d}` (unset: d), `${VAR:?e}` (unset or empty: error), `${VAR?e}` (unset:
 * error), `${VAR:+r}`/`${VAR+r}`, `$$` (a literal $); defaults may nest `${…}`.
 */
function interpolate(text: string, env: Readonly<Record<string, string>>, errors: string[]): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      let depth = 1;
      let j = i + 2;
      for (; j < text.length && depth > 0; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}') depth--;
      }
      if (depth > 0) {
        errors.push(`invalid interpolation format for "${text}"`);
        return out;
      }
      out += substitute(text.slice(i + 2, j - 1), env, errors);
      i = j;
    } else {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0];
      if (!name) {
        errors.push(`invalid interpolation format for "${text}"`);
        return out;
      }
      out += env[name] ?? '';
      i += 1 + name.length;
    }
  }
  return out;
}

function substitute(expr: string, env: Readonly<Record<string, string>>, errors: string[]): string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(expr);
  if (!m) {
    errors.push(`invalid interpolation format for "\${${expr}}"`);
    return '';
  }
  const [, name, colon, op, rest = ''] = m;
  const value = env[name!];
  const missing = colon ? value === undefined || value === '' : value === undefined;
  if (op === '-') return missing ? interpolate(rest, env, errors) : value!;
  if (op === '+') return missing ? '' : interpolate(rest, env, errors);
  if (op === '?') {
    if (missing) errors.push(`required variable ${name} is missing a value: ${rest}`);
    return value ?? '';
  }
  return value ?? '';
}

/** Every string in a parsed YAML value interpolated; the errors Compose would stop with. */
function interpolateAll(value: unknown, env: Readonly<Record<string, string>>, errors: string[]): unknown {
  if (typeof value === 'string') return interpolate(value, env, errors);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env, errors));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env, errors)]));
  return value;
}

const dockerfile = read('Dockerfile')
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const instructions = (name: string) =>
  dockerfile
    .filter((l) => l.toUpperCase().startsWith(`${name} `))
    .map((l) => l.slice(name.length + 1).trim());

describe("Compose's interpolation, as emulated here", () => {
  // biome-ignore-start lint/suspicious/noTemplateCurlyInString: Compose's syntax, not a JS template
  it.each([
    ['${A}', { A: 'x' }, 'x', 0],
    ['$A/b', { A: 'x' }, 'x/b', 0],
    ['${A}', {}, '', 0],
    ['${A:-d}', { A: '' }, 'd', 0],
    ['${A-d}', { A: '' }, '', 0],
    ['${A-d}', {}, 'd', 0],
    ['${A:-${B:-n}}', {}, 'n', 0],
    ['${A:+r}', { A: 'x' }, 'r', 0],
    ['${A+r}', {}, '', 0],
    ['$$A', {}, '$A', 0],
    ['${A:?set A}', { A: '' }, '', 1],
    ['${A?set A}', { A: '' }, '', 0],
    ['${A?set A}', {}, '', 1],
    ['${A:?set A}', { A: 'x' }, 'x', 0],
    // biome-ignore-end lint/suspicious/noTemplateCurlyInString: Compose's syntax
  ] as const)('%s with %j gives %j and %i error(s)', (text, env, expected, nErrors) => {
    const errors: string[] = [];
    expect(interpolate(text, env, errors)).toBe(expected);
    expect(errors).toHaveLength(nErrors);
  });
});

describe('docker-compose.yml', () => {
  it('`docker compose up` needs no variable: every service, of every profile, interpolates with none set', () => {
    // Compose interpolates the whole file before it selects profiles (docker/compose#11977), and
    // this repo ships no .env: a `${VAR:?…}` anywhere stops even the default `up`.
    const errors: string[] = [];
    interpolateAll(parse(read('docker-compose.yml'), { merge: true }), {}, errors);
    expect(errors).toEqual([]);
    expect(existsSync(join(ROOT, '.env'))).toBe(false);
  });

  it('passes the ingest password to the province workers without requiring it of `up`', () => {
    for (const w of ['worker-1', 'worker-2']) {
      const e = services[w]!.environment!;
      const errors: string[] = [];
      expect(interpolate(String(e.CANHXA_INGEST_EXTERNAL_PASSWORD), {}, errors), w).toBe('');
      expect(
        interpolate(
          String(e.CANHXA_INGEST_EXTERNAL_PASSWORD),
          { CANHXA_INGEST_EXTERNAL_PASSWORD: 's3' },
          errors,
        ),
        w,
      ).toBe('s3');
      expect(errors).toEqual([]);
    }
  });

  it('runs the service and InfluxDB, both restarting unless stopped', () => {
    expect(byDefault.sort()).toEqual(['canhxa', 'influxdb']);
    for (const [name, s] of Object.entries(services)) expect(s.restart, name).toBe('unless-stopped');
    expect(canhxa.build?.context).toBe('.');
    expect(existsSync(join(ROOT, canhxa.build?.dockerfile ?? 'Dockerfile'))).toBe(true);
  });

  it('pins every image to a version, and InfluxDB to 1.x (rollups use InfluxQL INTO and DELETE)', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.image === undefined) continue;
      const tag = s.image.split(':')[1];
      expect(tag, `${name}: ${s.image}`).toMatch(/^\d+(\.\d+)+/);
    }
    expect(influxdb.image).toMatch(/^influxdb:1\.\d+/);
  });

  it('has a province profile: an MQTT v5 broker and two ingest workers on the shared data volume', () => {
    expect(province.sort()).toEqual(['mosquitto', 'worker-1', 'worker-2']);
    for (const w of ['worker-1', 'worker-2']) {
      const e = services[w]!.environment!;
      expect(e.CANHXA_INGEST_SOURCE, w).toBe('external');
      expect(String(e.CANHXA_INGEST_EXTERNAL_URL), w).toBe('mqtt://mosquitto:1883');
      expect(services[w]!.volumes, w).toContain('canhxa-data:/data');
      for (const k of Object.keys(e))
        expect(
          ENV_OVERRIDES.map((o) => o.env),
          `${w} ${k}`,
        ).toContain(k);
    }
  });

  it('gives every long-running server a healthcheck, and the service waits for a healthy InfluxDB', () => {
    // Workers serve no HTTP: the restart policy supervises them, and their health is in the API's stats.
    for (const [name, s] of Object.entries(services).filter(([n]) => !n.startsWith('worker-'))) {
      const test = s.healthcheck?.test;
      expect(Array.isArray(test) && ['CMD', 'CMD-SHELL'].includes(test[0]!), name).toBe(true);
      expect(s.healthcheck?.interval, name).toMatch(/^\d+s$/);
      expect(s.healthcheck?.retries, name).toBeGreaterThan(0);
    }
    expect(influxdb.healthcheck?.test).toEqual(['CMD', 'curl', '-sf', 'http://localhost:8086/ping']);
    expect(canhxa.depends_on).toEqual({ influxdb: { condition: 'service_healthy' } });
  });

  it("checks the service's liveness route with Node's fetch (the slim image has no curl)", () => {
    const test = canhxa.healthcheck!.test as string[];
    expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(test[3]).toContain(`http://127.0.0.1:${env.CANHXA_API_PORT}/api/health`);
    expect(read('services/api/routes/overview.ts')).toContain("path: '/api/health'");
  });

  it('sets only CANHXA_* variables that config/load.ts reads, with values of the right type', () => {
    const known = new Map(ENV_OVERRIDES.map((o) => [o.env, o.type]));
    expect(Object.keys(env).length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(env)) {
      expect(name).toMatch(/^CANHXA_/);
      expect(known.has(name), `${name} is not in ENV_OVERRIDES`).toBe(true);
      if (known.get(name) === 'number') expect(Number.isFinite(Number(value)), name).toBe(true);
      if (known.get(name) === 'boolean') expect(['true', 'false', '1', '0'], name).toContain(value);
    }
    for (const name of [
      'CANHXA_STORE_KIND',
      'CANHXA_INFLUX_URL',
      'CANHXA_INFLUX_DATABASE',
      'CANHXA_DATA_DIR',
    ])
      expect(env, name).toHaveProperty(name);
  });

  it('the environment, over the file the image starts with, is a valid configuration for InfluxDB', () => {
    const cmd = JSON.parse(instructions('CMD').at(-1)!) as string[];
    const configFile = cmd[cmd.indexOf('--config') + 1]!;
    // /etc/canhxa/communes is a mount of ./config/communes; load the same files from here.
    const mount = canhxa.volumes!.find((v) => v.split(':')[1] === env.CANHXA_COMMUNES_DIR)!;
    const config = loadConfig(join(ROOT, configFile), {
      ...env,
      CANHXA_COMMUNES_DIR: join(ROOT, mount.split(':')[0]!),
    });
    expect(config.service.store).toEqual({
      kind: 'influxdb',
      url: 'http://influxdb:8086',
      database: 'canhxa',
    });
    expect(config.service.api.host).toBe('0.0.0.0');
    expect(config.service.mqtt.host).toBe('0.0.0.0');
    expect(config.service.simulator.enabled).toBe(false);
    expect(config.paths.dataDir).toBe('/data');
    expect(config.communes.length).toBeGreaterThan(0);
  });

  it('publishes the API and MQTT ports the service listens on', () => {
    expect(canhxa.ports).toEqual([`${env.CANHXA_API_PORT}:8080`, `${env.CANHXA_MQTT_PORT}:1883`]);
    expect(env.CANHXA_API_PORT).toBe('8080');
    expect(env.CANHXA_MQTT_PORT).toBe('1883');
    expect(influxdb.ports, 'InfluxDB stays on the compose network').toBeUndefined();
  });

  it('keeps data in declared named volumes, and bind-mounts only folders that exist', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const mounts = Object.values(services).flatMap((s) => s.volumes ?? []);
    for (const m of mounts) {
      const [source] = m.split(':');
      if (GENERATED.has(source!)) expect(read('docker-compose.yml')).toContain(GENERATED.get(source!));
      else if (source!.startsWith('.') || source!.startsWith('/')) {
        expect(existsSync(join(ROOT, source!)), m).toBe(true);
      } else expect(declared, m).toContain(source);
    }
    expect(canhxa.volumes).toContain('canhxa-data:/data');
    expect(env.CANHXA_DATA_DIR).toBe('/data');
    expect(influxdb.volumes).toContain('influxdb-data:/var/lib/influxdb');
  });
});

describe('Dockerfile', () => {
  it('builds on a pinned node:20 bookworm-slim', () => {
    const from = instructions('FROM').map((f) => f.split(/\s+/)[0]);
    expect(from.length).toBeGreaterThan(0);
    for (const image of from) expect(image).toBe('node:20-bookworm-slim');
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copies = instructions('COPY').filter((c) => !c.startsWith('--from'));
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) {
      const sources = c.split(/\s+/).slice(0, -1);
      for (const src of sources) {
        expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
        expect(ignored, `COPY ${src} is in .dockerignore`).not.toContain(src);
      }
    }
  });

  it('runs services/main.ts through tsx with a config file that exists', () => {
    const cmd = JSON.parse(instructions('CMD').at(-1)!) as string[];
    expect(cmd.slice(0, 4)).toEqual(['node', '--import', 'tsx', 'services/main.ts']);
    expect(existsSync(join(ROOT, 'services/main.ts'))).toBe(true);
    expect(existsSync(join(ROOT, cmd[cmd.indexOf('--config') + 1]!))).toBe(true);
  });

  it('`npm ci --omit=dev` keeps what runs in the image: tsx, the native SQLite driver, the dashboard bundler', () => {
    expect(dockerfile.some((l) => l.includes('npm ci --omit=dev'))).toBe(true);
    const pkg = JSON.parse(read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    for (const name of ['tsx', 'better-sqlite3', 'esbuild', 'leaflet', 'node-cron', 'yaml', 'zod']) {
      expect(pkg.dependencies, name).toHaveProperty(name);
    }
    expect(existsSync(join(ROOT, 'package-lock.json'))).toBe(true);
    expect(existsSync(join(ROOT, 'dashboard/build.mjs'))).toBe(true);
  });
});
