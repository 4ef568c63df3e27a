import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { tlsFileProblems, tlsRelativeTo } from '../gateway/runtime/tls.ts';
import { deviceTypes } from '../services/device-types/registry.ts';
import { alertsProblems } from './alerts.ts';
import { contractorProblems } from './contractors.ts';
import { dependencyProblems } from './dependencies.ts';
import { kpiProblems } from './kpi.ts';
import { applicationClashes, devEuiClashes, lorawanProblems } from './lorawan.ts';
import { type InventoryProbeTarget, inventoryProbes, ProbeSecrets } from './probe-targets.ts';
import { type CommuneFile, CommuneFileSchema } from './schema/commune.ts';
import { type ServiceConfig, ServiceConfigSchema } from './schema/service.ts';
import { soilPlotProblems } from './soil-plots.ts';
import { parseYamlSource, withPositions, type YamlSource } from './yaml-source.ts';

/** The whole validated configuration: deep-frozen, passed in explicitly, never re-read from env. */
export interface Config {
  readonly service: ServiceConfig;
  /** With the embedded probe runtime, each commune with probed devices has its `<commune>-probe` gateway added. */
  readonly communes: readonly CommuneFile[];
  /**
   * Devices the service's probe runtime watches (none when `gateway.embedded` is false), their
   * secrets resolved: never logged or served (the commune files keep only the secrets' names).
   */
  readonly probeTargets: readonly InventoryProbeTarget[];
  /** Absolute paths, resolved against the service file's folder. */
  readonly paths: { readonly serviceFile: string; readonly dataDir: string; readonly communesDir: string };
  /** The notifiers' secrets by name (notify-secrets.json or env), resolved at load; never logged or served. */
  readonly notifierSecrets?: Readonly<Record<string, string>>;
}

/** Thrown with every problem found, one per line; the service prints them and exits non-zero. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(
      `configuration is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Environment variables that override the service file, for containers. Documented in the README. */
export const ENV_OVERRIDES: ReadonlyArray<{
  env: string;
  path: string[];
  type: 'string' | 'number' | 'boolean';
}> = [
  { env: 'CANHXA_DATA_DIR', path: ['dataDir'], type: 'string' },
  { env: 'CANHXA_COMMUNES_DIR', path: ['communesDir'], type: 'string' },
  { env: 'CANHXA_MQTT_HOST', path: ['mqtt', 'host'], type: 'string' },
  { env: 'CANHXA_MQTT_PORT', path: ['mqtt', 'port'], type: 'number' },
  { env: 'CANHXA_API_HOST', path: ['api', 'host'], type: 'string' },
  { env: 'CANHXA_API_PORT', path: ['api', 'port'], type: 'number' },
  { env: 'CANHXA_COOKIE_SECURE', path: ['api', 'cookieSecure'], type: 'boolean' },
  { env: 'CANHXA_STORE_KIND', path: ['store', 'kind'], type: 'string' },
  { env: 'CANHXA_INFLUX_URL', path: ['store', 'url'], type: 'string' },
  { env: 'CANHXA_INFLUX_DATABASE', path: ['store', 'database'], type: 'string' },
  { env: 'CANHXA_INFLUX_TOKEN', path: ['store', 'token'], type: 'string' },
  { env: 'CANHXA_INFLUX_ORG', path: ['store', 'org'], type: 'string' },
  { env: 'CANHXA_INGEST_SOURCE', path: ['ingest', 'source'], type: 'string' },
  { env: 'CANHXA_INGEST_EXTERNAL_URL', path: ['ingest', 'external', 'url'], type: 'string' },
  { env: 'CANHXA_INGEST_EXTERNAL_USERNAME', path: ['ingest', 'external', 'username'], type: 'string' },
  { env: 'CANHXA_INGEST_EXTERNAL_PASSWORD', path: ['ingest', 'external', 'password'], type: 'string' },
  { env: 'CANHXA_SIMULATOR', path: ['simulator', 'enabled'], type: 'boolean' },
  { env: 'CANHXA_SIMULATOR_SPEED', path: ['simulator', 'speed'], type: 'number' },
];

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A fix for each kind of schema issue; refinements below carry their own. */
function fixFor(issue: z.core.$ZodIssue, reference: string): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `remove it or check its spelling against ${reference}`;
    case 'invalid_type':
      if (issue.input === undefined) return 'add this required field';
      return issue.expected === 'int' ? 'write a whole number here' : `write a ${issue.expected} here`;
    case 'invalid_value':
      return `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
    case 'too_big':
      return 'bring the value into range';
    case 'invalid_union':
      return 'check the "kind" field and the fields that go with it';
    default:
      return 'correct the value as described';
  }
}

/** Settings whose values are never echoed in problems. */
const SECRET_KEYS: ReadonlySet<PropertyKey> = new Set(['passwordHash', 'token', 'secret']);

function zodProblems(
  file: string,
  error: z.ZodError,
  reference: string,
  prefix: PropertyKey[] = [],
): string[] {
  return error.issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    if (issue.code === 'unrecognized_keys') {
      return `${file}: ${formatPath([...prefix, ...issue.path, issue.keys[0] ?? ''])} — unknown key${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}. Fix: ${fixFor(issue, reference)}.`;
    }
    // A plain password typed into passwordHash (or a token) must not end up in logs.
    const secret = SECRET_KEYS.has(issue.path.at(-1) ?? '');
    const found =
      'input' in issue ? ` (found ${secret ? 'a value not shown here' : shown(issue.input)})` : '';
    return `${file}: ${path} — ${issue.message}${found}. Fix: ${fixFor(issue, reference)}.`;
  });
}

function readYaml(file: string, shownAs: string, problems: string[]): YamlSource | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(
      `${shownAs}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: check the path and its permissions.`,
    );
    return undefined;
  }
  return parseYamlSource(text, shownAs, problems);
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
}

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  for (const o of ENV_OVERRIDES) {
    const v = env[o.env];
    if (v === undefined || v === '') continue;
    if (o.type === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n))
        problems.push(`env ${o.env}: "${v}" is not a number. Fix: set a number or unset it.`);
      else setPath(raw, o.path, n);
    } else if (o.type === 'boolean') {
      if (!['true', 'false', '1', '0'].includes(v))
        problems.push(`env ${o.env}: "${v}" is not true or false. Fix: set true or false.`);
      else setPath(raw, o.path, v === 'true' || v === '1');
    } else setPath(raw, o.path, v);
  }
}

/** Checks that need the whole commune: references between sections, unique ids, known kinds. */
export function communeProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const dupes = (items: ReadonlyArray<{ id?: string; username?: string }>, section: string) => {
    const seen = new Map<string, number>();
    items.forEach((it, i) => {
      const key = it.id ?? it.username ?? '';
      const first = seen.get(key);
      if (first !== undefined)
        out.push(
          `${file}: ${section}[${i}] — "${key}" is used again (first at ${section}[${first}]). Fix: give each a distinct id.`,
        );
      else seen.set(key, i);
    });
  };
  dupes(c.hamlets, 'hamlets');
  dupes(c.sites, 'sites');
  dupes(c.devices, 'devices');
  dupes(c.users, 'users');
  dupes(c.kpiTargets, 'kpiTargets');
  dupes(c.broadcasts ?? [], 'broadcasts');
  c.users.forEach((u, i) => {
    if (u.cameraMaintainer && u.role !== 'technician')
      out.push(
        `${file}: users[${i}].cameraMaintainer — "${u.username}" is a ${u.role}; only a technician is named a camera maintainer (the police see cameras in full). Fix: remove cameraMaintainer or list a technician.`,
      );
  });
  const hamlets = new Set(c.hamlets.map((h) => h.id));
  const sites = new Set(c.sites.map((s) => s.id));
  const devices = new Map(c.devices.map((d) => [d.id, d]));
  const some = (set: Iterable<string>) => [...set].slice(0, 5).join(', ');
  c.sites.forEach((s, i) => {
    if (!hamlets.has(s.hamlet))
      out.push(
        `${file}: sites[${i}].hamlet — "${s.hamlet}" is not a hamlet of this commune. Fix: use one of ${some(hamlets)}…`,
      );
    if (s.uplink !== undefined) {
      const u = devices.get(s.uplink);
      if (!u)
        out.push(
          `${file}: sites[${i}].uplink — "${s.uplink}" is not a device of this commune. Fix: add the uplink device or remove the field.`,
        );
      else if (!deviceTypes.get(u.type)?.isUplink)
        out.push(
          `${file}: sites[${i}].uplink — "${s.uplink}" is a ${u.type}, not an uplink. Fix: name a device of type uplink.`,
        );
    }
  });
  c.devices.forEach((d, i) => {
    const type = deviceTypes.get(d.type);
    if (!type)
      out.push(
        `${file}: devices[${i}].type — "${d.type}" is not a known device type. Fix: use one of ${[...deviceTypes.keys()].join(', ')}.`,
      );
    // Each type checks its own settings (services/device-types/<kind>.ts `configSchema`).
    const settings = type?.configSchema.safeParse(d.settings ?? {}, { reportInput: true });
    if (settings && !settings.success)
      out.push(
        ...zodProblems(file, settings.error, `the settings of device type ${d.type}`, [
          'devices',
          i,
          'settings',
        ]),
      );
    if (!sites.has(d.site))
      out.push(
        `${file}: devices[${i}].site — "${d.site}" is not a site of this commune. Fix: use one of ${some(sites)}… or add the site.`,
      );
    if (d.commissionedAt !== undefined && d.commissionedAt < d.installedAt)
      out.push(
        `${file}: devices[${i}].commissionedAt — ${d.commissionedAt} is before installedAt ${d.installedAt}. Fix: commission on or after installation.`,
      );
  });
  out.push(...dependencyProblems(file, c));
  out.push(...lorawanProblems(file, c));
  out.push(...soilPlotProblems(file, c));
  out.push(...kpiProblems(file, c));
  out.push(...contractorProblems(file, c));
  return out;
}

/**
 * Reference checks on a file that failed its schema, so one run reports every problem rather than
 * two rounds. Best effort on unvalidated data: a shape they cannot read is already reported above.
 */
function referenceProblemsOfRaw(file: string, raw: unknown, already: readonly string[]): string[] {
  const r = raw as Partial<Record<keyof CommuneFile, unknown>>;
  const lists = ['hamlets', 'sites', 'devices'] as const;
  if (!r || typeof r !== 'object' || !lists.every((k) => Array.isArray(r[k]))) return [];
  try {
    const lenient = {
      ...r,
      users: Array.isArray(r.users) ? r.users : [],
      kpiTargets: Array.isArray(r.kpiTargets) ? r.kpiTargets : [],
      crops: Array.isArray(r.crops) ? r.crops : [],
      plots: Array.isArray(r.plots) ? r.plots : [],
    };
    const seen = new Set(already.map((p) => p.split(' — ')[0]));
    return communeProblems(file, lenient as CommuneFile).filter((p) => !seen.has(p.split(' — ')[0]));
  } catch {
    return [];
  }
}

/** Province users must not reuse a commune user's login; IOC webhooks may name only known communes. */
function provinceProblems(
  file: string,
  service: ServiceConfig,
  communes: readonly CommuneFile[],
  owner: ReadonlyMap<string, string>,
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  service.users.forEach((u, i) => {
    const commune = owner.get(`user:${u.username}`);
    if (commune !== undefined)
      out.push(
        `${file}: users[${i}].username — "${u.username}" is already a user of commune ${commune}. Fix: give the province user its own name (e.g. "tinh.dongnai").`,
      );
    if (seen.has(u.username))
      out.push(`${file}: users[${i}].username — "${u.username}" is listed twice. Fix: remove one.`);
    seen.add(u.username);
  });
  const ids = communes.map((c) => c.commune.id);
  const names = new Set<string>();
  service.ioc.webhooks.forEach((w, i) => {
    if (names.has(w.name))
      out.push(
        `${file}: ioc.webhooks[${i}].name — "${w.name}" is used twice. Fix: give each webhook its own name.`,
      );
    names.add(w.name);
    w.communes?.forEach((c, j) => {
      if (!ids.includes(c))
        out.push(
          `${file}: ioc.webhooks[${i}].communes[${j}] — "${c}" is not a commune of this deployment. Fix: use one of ${ids.join(', ')}.`,
        );
    });
  });
  return out;
}

/**
 * Device ids are MQTT user names and user names are logins: both unique across the deployment, as
 * are commune ids. Each clash names both files and lines. Fills `owner` (`device:<id>` or
 * `user:<name>` → commune id) for the province checks.
 */
function crossCommuneProblems(
  communes: readonly CommuneFile[],
  sources: ReadonlyMap<CommuneFile, { file: string; src: YamlSource }>,
  owner: Map<string, string>,
): string[] {
  const out: string[] = [];
  const first = new Map<string, { commune: CommuneFile; path: Array<string | number> }>();
  const where = (c: CommuneFile, path: Array<string | number>) => {
    const s = sources.get(c)!;
    const pos = s.src.position(path);
    return `${s.file}${pos ? `:${pos.line}:${pos.col}` : ''}`;
  };
  for (const c of communes) {
    const entries: Array<[string, string, Array<string | number>]> = [
      ['commune', c.commune.id, ['commune', 'id']],
      ...c.devices.map((d, i): [string, string, Array<string | number>] => [
        'device',
        d.id,
        ['devices', i, 'id'],
      ]),
      ...c.users.map((u, i): [string, string, Array<string | number>] => [
        'user',
        u.username,
        ['users', i, 'username'],
      ]),
    ];
    for (const [kind, id, path] of entries) {
      const key = `${kind}:${id}`;
      const prev = first.get(key);
      if (prev && prev.commune !== c) {
        const fix =
          kind === 'commune'
            ? 'give each commune its own id'
            : `prefix ${kind === 'user' ? 'user names' : 'ids'} with the commune (e.g. "tl-")`;
        out.push(
          `${where(c, path)}: ${formatPath(path)} — ${kind} "${id}" is already in commune ${prev.commune.commune.id} at ${where(prev.commune, prev.path)} (${formatPath(prev.path)}). Fix: ${fix}.`,
        );
      } else if (!prev) first.set(key, { commune: c, path });
      if (kind !== 'commune' && !owner.has(key)) owner.set(key, c.commune.id);
    }
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Reads the service file, applies environment overrides, validates it and every commune file.
 * Throws ConfigError listing every problem; never returns a half-valid config.
 */
export function loadConfig(serviceFile: string, env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const abs = resolve(serviceFile);
  const base = dirname(abs);
  const shownAs = (p: string) => relative(process.cwd(), p) || p;
  const serviceSrc = readYaml(abs, shownAs(abs), problems);
  const raw = serviceSrc?.value ?? {};
  if (problems.length > 0 || !serviceSrc) throw new ConfigError(problems);
  // Problems in the service file name their line, except where an environment variable set the value.
  const fromEnv = ENV_OVERRIDES.filter((o) => env[o.env] !== undefined && env[o.env] !== '').map(
    (o) => o.path,
  );
  const atLines = (list: readonly string[]) => withPositions(list, shownAs(abs), serviceSrc, fromEnv);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ConfigError([
      `${shownAs(abs)}: (top level) — must be a mapping of settings. Fix: start from config/canhxa.example.yaml.`,
    ]);
  applyEnv(raw as Record<string, unknown>, env, problems);
  const parsed = ServiceConfigSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    problems.push(...atLines(zodProblems(shownAs(abs), parsed.error, 'config/canhxa.example.yaml')));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const service = parsed.data;
  const external = service.ingest.external;
  if (external?.tls) {
    external.tls = tlsRelativeTo(external.tls, base);
    problems.push(...atLines(tlsFileProblems(shownAs(abs), external.tls, 'ingest.external.tls')));
  }
  const communesDir = resolve(base, service.communesDir);
  const communes: CommuneFile[] = [];
  const devEuis = new Map<string, string>();
  const applications = new Map<string, { file: string; shown: string }>();
  const probeTargets: InventoryProbeTarget[] = [];
  const secrets = new ProbeSecrets(resolve(base, service.dataDir), env);
  let files: string[] = [];
  try {
    files = readdirSync(communesDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    problems.push(
      `${shownAs(abs)}: communesDir — folder "${shownAs(communesDir)}" cannot be read. Fix: point it at the folder of commune files.`,
    );
  }
  if (files.length === 0 && problems.length === 0)
    problems.push(
      `${shownAs(abs)}: communesDir — "${shownAs(communesDir)}" holds no commune file (*.yaml). Fix: add one, e.g. copy config/communes/ta-lai.yaml.`,
    );
  const sources = new Map<CommuneFile, { file: string; src: YamlSource }>();
  for (const f of files) {
    const path = join(communesDir, f);
    const src = readYaml(path, shownAs(path), problems);
    if (src === undefined) continue;
    const rawCommune = src.value;
    const c = CommuneFileSchema.safeParse(rawCommune, { reportInput: true });
    const found: string[] = [];
    if (!c.success) {
      const schema = zodProblems(shownAs(path), c.error, 'the sample commune config/communes/ta-lai.yaml');
      found.push(...schema, ...referenceProblemsOfRaw(shownAs(path), rawCommune, schema));
    } else {
      found.push(...communeProblems(shownAs(path), c.data));
      found.push(...devEuiClashes(shownAs(path), c.data, devEuis));
      found.push(...applicationClashes(shownAs(path), c.data, applications));
      const probed = inventoryProbes(shownAs(path), c.data, {
        embedded: service.gateway.embedded,
        secrets,
        statusRefreshSec: service.gateway.statusRefreshSec,
      });
      found.push(...probed.problems);
      probeTargets.push(...probed.targets);
      communes.push(probed.commune);
      sources.set(probed.commune, { file: shownAs(path), src });
    }
    problems.push(...withPositions(found, shownAs(path), src));
  }
  const owner = new Map<string, string>();
  problems.push(...crossCommuneProblems(communes, sources, owner));
  problems.push(...atLines(provinceProblems(shownAs(abs), service, communes, owner)));
  const alerts = alertsProblems(
    shownAs(abs),
    service,
    communes.map((c) => ({ file: sources.get(c)?.file ?? c.commune.id, commune: c })),
    resolve(base, service.dataDir),
    env,
  );
  problems.push(...alerts.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    service,
    communes,
    probeTargets,
    paths: { serviceFile: abs, dataDir: resolve(base, service.dataDir), communesDir },
    notifierSecrets: alerts.secrets,
  });
}
