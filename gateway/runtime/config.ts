import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { AnyProbe } from '../probes/probe.ts';
import { probes } from '../probes/registry.ts';
import { TlsSchema, type TlsSettings, tlsFileProblems, tlsRelativeTo } from './tls.ts';

/** Same rule as the topic segments (services/protocol/topics.ts). */
export const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes');

const TargetSchema = z.strictObject({
  device: Id,
  commune: Id,
  probe: z.string(),
  /** Checked against the probe's own configSchema once `probe` is known. */
  config: z.record(z.string(), z.unknown()),
  intervalSec: z.number().int().min(5).max(86_400).default(60),
  timeoutMs: z.number().int().min(100).max(120_000).default(5000),
  retries: z.number().int().min(0).max(5).default(1),
  confirmations: z.number().int().min(1).max(10).default(3),
});

/** Our broker, as the gateway account sees it; shared with the LoRaWAN bridge's file (lorawan/cli-config.ts). */
export const BrokerSchema = z.strictObject({
  url: z.url({ protocol: /^mqtts?$/ }),
  /** The environment variable holding the gateway's MQTT password… */
  passwordEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
    .optional(),
  /** …or a JSON file { deviceId: password }, as the service's device-secrets.json. */
  secretsFile: z.string().min(1).optional(),
  /** For mqtts:// to a broker whose certificate a private CA signed. */
  tls: TlsSchema.optional(),
});

/** How a gateway reaches our broker, once its password is known and its TLS files resolved. */
export interface BrokerConnection {
  readonly url: string;
  readonly password: string;
  readonly tls?: TlsSettings;
}

export function brokerConnection(
  b: z.infer<typeof BrokerSchema>,
  password: string,
  dir: string,
): BrokerConnection {
  return Object.freeze({ url: b.url, password, ...(b.tls ? { tls: tlsRelativeTo(b.tls, dir) } : {}) });
}

const GatewayFileSchema = z.strictObject({
  /** The gateway's device id in the commune file (a device of type gateway). */
  gatewayId: Id,
  broker: BrokerSchema,
  bufferFile: z.string().min(1).default('data/gateway-buffer.sqlite'),
  bufferMaxRows: z.number().int().min(100).max(10_000_000).default(200_000),
  concurrency: z.number().int().min(1).max(1024).default(32),
  jitterPct: z.number().min(0).max(50).default(10),
  statusRefreshSec: z.number().int().min(10).max(86_400).default(300),
  /**
   * The service's API (e.g. https://canhxa.example.vn): onvif targets' snapshots are uploaded
   * there with the gateway's credential (never sent over MQTT). Without it they are judged here
   * and not kept, and "scene moved" is not judged (no approved reference reaches the gateway).
   */
  snapshotUploadUrl: z.url({ protocol: /^https?$/ }).optional(),
  targets: z.array(TargetSchema).min(1),
});
type GatewayFile = z.output<typeof GatewayFileSchema>;

export interface GatewayTarget extends Omit<GatewayFile['targets'][number], 'probe'> {
  readonly probe: AnyProbe;
}

/** The validated gateway config: paths absolute, the password resolved, each probe config parsed. */
export interface GatewayConfig extends Omit<GatewayFile, 'broker' | 'targets'> {
  readonly broker: BrokerConnection;
  readonly targets: readonly GatewayTarget[];
}

export class GatewayConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`gateway configuration is invalid (${problems.length} problem(s)):\n${problems.join('\n')}`);
    this.name = 'GatewayConfigError';
    this.problems = problems;
  }
}

function pathOf(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

/** Probe configs may hold SNMP communities and keys: their values are never echoed. */
export function zodProblems(file: string, error: z.ZodError, prefix: PropertyKey[], fix: string): string[] {
  return error.issues.map((i) => {
    const at = pathOf([...prefix, ...i.path, ...(i.code === 'unrecognized_keys' ? [i.keys[0] ?? ''] : [])]);
    const what = i.code === 'unrecognized_keys' ? 'unknown key' : i.message;
    const how =
      i.code === 'unrecognized_keys'
        ? `remove it or check its spelling against ${fix}`
        : i.code === 'invalid_type' && i.input === undefined
          ? 'add this required field'
          : `correct it as described (see ${fix})`;
    return `${file}: ${at} — ${what}. Fix: ${how}.`;
  });
}

export function readDoc(file: string, shown: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new GatewayConfigError([
      `${shown}: cannot be read (${code}). Fix: check the path and its permissions.`,
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0)
    throw new GatewayConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${shown}:${pos.line}:${pos.col} — YAML syntax: ${e.message.split('\n')[0]}. Fix: correct the indentation or quoting there.`;
      }),
    );
  return doc.toJS();
}

export function password(
  shown: string,
  base: string,
  f: Pick<GatewayFile, 'gatewayId' | 'broker'>,
  env: NodeJS.ProcessEnv,
  problems: string[],
): string {
  const { passwordEnv, secretsFile } = f.broker;
  if ((passwordEnv === undefined) === (secretsFile === undefined)) {
    problems.push(
      `${shown}: broker — give exactly one of passwordEnv and secretsFile. Fix: e.g. passwordEnv: CANHXA_GATEWAY_PASSWORD.`,
    );
    return '';
  }
  if (passwordEnv !== undefined) {
    const v = env[passwordEnv];
    if (!v)
      problems.push(
        `${shown}: broker.passwordEnv — ${passwordEnv} is not set. Fix: export ${passwordEnv} with the gateway's MQTT password.`,
      );
    return v ?? '';
  }
  const path = resolve(base, secretsFile!);
  try {
    const secrets = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const v = secrets[f.gatewayId];
    if (typeof v === 'string' && v.length > 0) return v;
    problems.push(
      `${shown}: broker.secretsFile — ${secretsFile} has no password for "${f.gatewayId}". Fix: copy the gateway's entry from the service's device-secrets.json.`,
    );
  } catch (err) {
    problems.push(
      `${shown}: broker.secretsFile — ${secretsFile} cannot be read as JSON (${(err as NodeJS.ErrnoException).code ?? 'bad JSON'}). Fix: point it at a copy of device-secrets.json.`,
    );
  }
  return '';
}

/**
 * Reads and validates a gateway file (YAML or JSON): the file's own shape, then each target's probe
 * kind and config against that probe's schema, and the MQTT password (env or secrets file).
 * Throws GatewayConfigError with every problem, one per line with file, path and fix; the gateway
 * then refuses to start. Nothing reads the environment after this.
 */
export function loadGatewayConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const abs = resolve(file);
  const shown = relative(process.cwd(), abs) || abs;
  const raw = readDoc(abs, shown);
  const parsed = GatewayFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    throw new GatewayConfigError(zodProblems(shown, parsed.error, [], 'gateway/gateway.example.yaml'));
  const f = parsed.data;
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const targets: GatewayTarget[] = [];
  f.targets.forEach((t, i) => {
    const first = seen.get(t.device);
    if (first !== undefined)
      problems.push(
        `${shown}: targets[${i}].device — "${t.device}" is already probed by targets[${first}]; its verdicts would overwrite each other. Fix: keep one probe per device.`,
      );
    seen.set(t.device, i);
    const probe = probes.get(t.probe);
    if (!probe) {
      problems.push(
        `${shown}: targets[${i}].probe — "${t.probe}" is not a known probe. Fix: use one of ${[...probes.keys()].join(', ')}.`,
      );
      return;
    }
    const c = probe.configSchema.safeParse(t.config);
    if (!c.success)
      problems.push(
        ...zodProblems(shown, c.error, ['targets', i, 'config'], `the ${probe.kind} probe's exampleConfig`),
      );
    else targets.push({ ...t, probe, config: c.data });
    if (t.timeoutMs > t.intervalSec * 1000)
      problems.push(
        `${shown}: targets[${i}].timeoutMs — ${t.timeoutMs} ms is longer than the interval (${t.intervalSec} s). Fix: make the timeout shorter than the interval.`,
      );
  });
  const pw = password(shown, dirname(abs), f, env, problems);
  const broker = brokerConnection(f.broker, pw, dirname(abs));
  if (broker.tls) problems.push(...tlsFileProblems(shown, broker.tls, 'broker.tls'));
  if (problems.length > 0) throw new GatewayConfigError(problems);
  return Object.freeze({
    ...f,
    bufferFile: resolve(dirname(abs), f.bufferFile),
    broker,
    targets: Object.freeze(targets.map((t) => Object.freeze(t))),
  });
}
