import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z } from 'zod';
import type { AnyProbe } from '../gateway/probes/probe.ts';
import { probes } from '../gateway/probes/registry.ts';
import { deviceTypes } from '../services/device-types/registry.ts';
import type { CommuneFile, DeviceConfig } from './schema/commune.ts';

/** Probe secrets kept beside device-secrets.json, mode 0600: `{ "snmp-ta-lai": "…" }`. */
export const PROBE_SECRETS_FILE = 'probe-secrets.json';

/** One device the service's probe runtime watches, its config checked and its secrets resolved. */
export interface InventoryProbeTarget {
  readonly deviceId: string;
  readonly communeId: string;
  /** The built-in gateway device that publishes for it (`<commune>-probe`). */
  readonly gatewayId: string;
  readonly kind: string;
  /** Passed `configSchema` of the probe kind; holds resolved secrets, so never logged or served. */
  readonly config: unknown;
  readonly intervalSec: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly confirmations: number;
}

export const embeddedGatewayId = (communeId: string): string => `${communeId}-probe`;

/** Whether a device is a commune's built-in probe gateway: the service's own client, not a purchase. */
export const isEmbeddedGateway = (d: { readonly id: string; readonly communeId: string }): boolean =>
  d.id === embeddedGatewayId(d.communeId);

/** `snmp-ta-lai` → `CANHXA_SECRET_SNMP_TA_LAI`. */
export function secretEnvName(name: string): string {
  return `CANHXA_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** A secret named so is the demo's own stand-ins', made up per run when it is set nowhere. */
export const DEMO_SECRET_PREFIX = 'demo-';

const SECRET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Named secrets: the environment first (`CANHXA_SECRET_<NAME>`, for containers), then the data
 * folder's probe-secrets.json, read once and only if needed. The file must be private (0600) as
 * device-secrets.json is.
 */
export class ProbeSecrets {
  private file: Record<string, unknown> | undefined;
  private readonly generated = new Map<string, string>();
  private fileProblem: string | undefined;
  private readonly path: string;
  readonly shownPath: string;

  constructor(
    dataDir: string,
    private readonly env: NodeJS.ProcessEnv,
    /** The notifiers keep theirs apart, in notify-secrets.json (config/alerts.ts). */
    file = PROBE_SECRETS_FILE,
  ) {
    this.path = join(dataDir, file);
    this.shownPath = relative(process.cwd(), this.path) || this.path;
  }

  /** The secret's value, or why it cannot be had. */
  get(name: string): { value: string } | { problem: string } {
    const fromEnv = this.env[secretEnvName(name)];
    if (fromEnv) return { value: fromEnv };
    this.read();
    const v = this.file?.[name];
    if (typeof v === 'string' && v.length > 0) return { value: v };
    // The sample communes' stand-in cameras (gateway/simulator/camera-standins.ts) take whatever
    // password their target resolved to, so a `demo-` secret set nowhere is made up for this run:
    // a fresh clone starts with no secrets file, and none is ever written into the repository. A
    // real camera given a `demo-` name refuses it (camera-auth-refused), which shows at once.
    if (name.startsWith(DEMO_SECRET_PREFIX)) return { value: this.demoSecret(name) };
    const why = this.fileProblem ? ` (${this.fileProblem})` : '';
    return {
      problem: `secret "${name}" is not set${why}. Fix: add "${name}": "…" to ${this.shownPath} (mode 0600) or set ${secretEnvName(name)}`,
    };
  }

  private demoSecret(name: string): string {
    let v = this.generated.get(name);
    if (!v) {
      v = `Demo-${randomBytes(12).toString('base64url')}`;
      this.generated.set(name, v);
    }
    return v;
  }

  private read(): void {
    if (this.file !== undefined || this.fileProblem !== undefined) return;
    try {
      // Group- or world-readable secrets are refused, as ssh refuses such a key.
      const mode = statSync(this.path).mode & 0o777;
      if (mode & 0o077) {
        this.fileProblem = `${this.shownPath} is readable by others (mode ${mode.toString(8)}); run chmod 600 on it`;
        return;
      }
      const parsed: unknown = JSON.parse(readFileSync(this.path, 'utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
        this.fileProblem = `${this.shownPath} is not a JSON object of names to secrets`;
      else this.file = parsed as Record<string, unknown>;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.fileProblem =
        code === 'ENOENT' ? `${this.shownPath} does not exist` : `${this.shownPath}: ${code ?? 'bad JSON'}`;
    }
  }
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/**
 * Replaces each `<key>Ref` naming a secret of the probe by `<key>` with its value; a secret key
 * written in clear is a problem (its value is never echoed). Returns the resolved copy.
 */
function resolveSecrets(
  value: unknown,
  at: PropertyKey[],
  probe: AnyProbe,
  secrets: ProbeSecrets,
  say: (path: PropertyKey[], msg: string) => void,
): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, [...at, i], probe, secrets, say));
  if (!value || typeof value !== 'object') return value;
  const keys = probe.secretKeys ?? [];
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const base = k.endsWith('Ref') ? k.slice(0, -3) : undefined;
    if (keys.includes(k)) {
      say(
        [...at, k],
        `a secret written in clear in the commune file. Fix: write ${k}Ref: <a name> instead and put the value under that name in ${secrets.shownPath} (mode 0600) or in CANHXA_SECRET_<NAME>`,
      );
    } else if (base !== undefined && keys.includes(base)) {
      if (typeof v !== 'string' || !SECRET_NAME.test(v)) {
        say([...at, k], 'must name a secret (letters, digits, dot, dash). Fix: e.g. snmp-ta-lai');
        continue;
      }
      const got = secrets.get(v);
      if ('value' in got) out[base] = got.value;
      else say([...at, k], got.problem);
    } else out[k] = resolveSecrets(v, [...at, k], probe, secrets, say);
  }
  return out;
}

/** Schema problems of a probe config; a path ending in a secret shows its `…Ref` and no value. */
function schemaProblems(file: string, prefix: PropertyKey[], probe: AnyProbe, error: z.ZodError): string[] {
  const secret = new Set(probe.secretKeys ?? []);
  const reference = `the ${probe.kind} probe in config/canhxa.example.yaml`;
  return error.issues.map((i) => {
    const path = [...prefix, ...i.path];
    const last = path.at(-1);
    const isSecret = typeof last === 'string' && secret.has(last);
    if (isSecret) path[path.length - 1] = `${String(last)}Ref`;
    if (i.code === 'unrecognized_keys')
      return `${file}: ${pathOf([...path, i.keys[0] ?? ''])} — unknown key. Fix: remove it or check its spelling against ${reference}.`;
    const missing = i.code === 'invalid_type' && i.input === undefined;
    const found =
      !missing && 'input' in i && !isSecret ? ` (found ${JSON.stringify(i.input)?.slice(0, 60)})` : '';
    const fix = missing ? 'add this required field' : `correct it as described (see ${reference})`;
    return `${file}: ${pathOf(path)} — ${i.message}${found}. Fix: ${fix}.`;
  });
}

/** Checks one device's `probe` and, when `secrets` are given, resolves it into a target. */
function deviceTarget(
  file: string,
  communeId: string,
  d: DeviceConfig,
  i: number,
  secrets: ProbeSecrets | undefined,
  problems: string[],
): InventoryProbeTarget | undefined {
  const spec = d.probe!;
  const at: PropertyKey[] = ['devices', i, 'probe'];
  const probe = probes.get(spec.kind);
  if (!probe) {
    problems.push(
      `${file}: ${pathOf([...at, 'kind'])} — "${spec.kind}" is not a known probe. Fix: use one of ${[...probes.keys()].join(', ')}.`,
    );
    return undefined;
  }
  if (spec.timeoutMs >= spec.intervalSec * 1000)
    problems.push(
      `${file}: ${pathOf([...at, 'timeoutMs'])} — ${spec.timeoutMs} ms is not shorter than the interval (${spec.intervalSec} s). Fix: make the timeout shorter than intervalSec.`,
    );
  const say = (path: PropertyKey[], msg: string) =>
    problems.push(`${file}: ${pathOf(path)} — ${msg}${msg.includes('Fix:') ? '' : '.'}`);
  const before = problems.length;
  const resolved = resolveSecrets(spec.config, [...at, 'config'], probe, secrets ?? NO_SECRETS, say);
  // Without the embedded runtime the gateway at the hamlet holds the secrets: nothing to resolve here.
  if (!secrets || problems.length > before) return undefined;
  const parsed = probe.configSchema.safeParse(resolved, { reportInput: true });
  if (!parsed.success) {
    problems.push(...schemaProblems(file, [...at, 'config'], probe, parsed.error));
    return undefined;
  }
  const { kind, intervalSec, timeoutMs, retries, confirmations } = spec;
  const gatewayId = embeddedGatewayId(communeId);
  return {
    deviceId: d.id,
    communeId,
    gatewayId,
    kind,
    config: parsed.data,
    intervalSec,
    timeoutMs,
    retries,
    confirmations,
  };
}

/**
 * A probed device's only sign of life is its gateway's `up` verdict, re-sent every
 * statusRefreshSec or on the first run after it: its window must outlast that gap (refresh, an
 * interval with 10 % jitter, every attempt timing out) and the wait for the first confirmed
 * verdict, or a healthy device would turn late.
 */
function probedLiveness(d: DeviceConfig, statusRefreshSec: number): DeviceConfig['liveness'] {
  const type = deviceTypes.get(d.type)?.liveness ?? { heartbeatIntervalSec: 60, graceSec: 60 };
  const p = d.probe!;
  // The first verdict takes `confirmations` runs; later ones come at least every refresh.
  const run = Math.ceil(1.1 * p.intervalSec * p.confirmations + (p.timeoutMs * (p.retries + 1)) / 1000) + 5;
  return {
    heartbeatIntervalSec: Math.max(type.heartbeatIntervalSec, statusRefreshSec),
    graceSec: Math.max(type.graceSec, run),
  };
}

/** Stands in for the store when secrets are not resolved: every ref "resolves" to nothing. */
const NO_SECRETS = { get: () => ({ value: '' }), shownPath: PROBE_SECRETS_FILE } as unknown as ProbeSecrets;

/**
 * The devices of a commune file that carry a `probe`: each checked against its probe kind's
 * config schema with secrets resolved (every problem with file, path and fix). With the embedded
 * runtime, the commune gains its built-in gateway device `<commune>-probe` (type gateway, its
 * own generated MQTT secret like every device's), named in the `reportedBy` of every probed
 * device so the broker lets it publish for them. Without it, each probed device must name the
 * gateway at the hamlet that probes it.
 */
export function inventoryProbes(
  file: string,
  c: CommuneFile,
  opts: { embedded: boolean; secrets: ProbeSecrets; statusRefreshSec: number },
): { commune: CommuneFile; targets: InventoryProbeTarget[]; problems: string[] } {
  const problems: string[] = [];
  const targets: InventoryProbeTarget[] = [];
  const communeId = c.commune.id;
  const probed = c.devices.map((d, i) => ({ d, i })).filter(({ d }) => d.probe !== undefined);
  if (probed.length === 0) return { commune: c, targets, problems };
  for (const { d, i } of probed) {
    if (!opts.embedded && (d.reportedBy ?? (d.behind ? [d.behind] : [])).length === 0)
      problems.push(
        `${file}: devices[${i}].probe — gateway.embedded is false and no reportedBy names the gateway that probes this device. Fix: add reportedBy: [<the hamlet gateway's id>] or set gateway.embedded: true.`,
      );
    const t = deviceTarget(file, communeId, d, i, opts.embedded ? opts.secrets : undefined, problems);
    if (t) targets.push(t);
  }
  if (!opts.embedded) return { commune: c, targets: [], problems };
  const gatewayId = embeddedGatewayId(communeId);
  const clash = c.devices.findIndex((d) => d.id === gatewayId);
  if (clash >= 0)
    problems.push(
      `${file}: devices[${clash}].id — "${gatewayId}" is the id of the commune's built-in probe gateway. Fix: give this device another id.`,
    );
  if (gatewayId.length > 63)
    problems.push(
      `${file}: commune.id — "${communeId}" is too long for its probe gateway id "${gatewayId}" (63 characters at most). Fix: shorten the commune id.`,
    );
  const site = c.sites.find((s) => s.kind === 'ubnd') ?? c.sites[0];
  if (!site) return { commune: c, targets, problems };
  const gateway: DeviceConfig = {
    id: gatewayId,
    type: 'gateway',
    name: `Bộ giám sát mạng (trong máy chủ) — ${c.commune.name}`,
    site: site.id,
    installedAt: probed.map(({ d }) => d.installedAt).sort()[0]!,
    notes:
      'Tạo tự động: bộ thăm dò chạy trong dịch vụ Canh Xã, báo trạng thái thay cho các thiết bị có "probe".',
  };
  const devices = c.devices.map((d): DeviceConfig => {
    if (d.probe === undefined) return d;
    d = { ...d, liveness: d.liveness ?? probedLiveness(d, opts.statusRefreshSec) };
    // `behind` means reportedBy + dependsOn of one device; spelt out, the gateway can join the first.
    const { behind, ...rest } = d;
    const reporters = behind === undefined ? (d.reportedBy ?? []) : [behind];
    return {
      ...rest,
      ...(behind === undefined ? {} : { dependsOn: [behind] }),
      reportedBy: [...reporters.filter((r) => r !== gatewayId), gatewayId],
    };
  });
  return { commune: { ...c, devices: [...devices, gateway] }, targets, problems };
}
