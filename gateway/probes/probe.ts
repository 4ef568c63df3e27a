import type { z } from 'zod';
import type { Reason, Severity, Verdict } from './wire.ts';

/** Something the probe saw happen, published once on the device's event channel. */
export interface ProbeEvent {
  /** kebab-case, e.g. `snmp-reboot`. */
  readonly type: string;
  readonly severity: Severity;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
  /**
   * When it happened (epoch ms UTC), when the target says so (a controller's play log); else the
   * run's end. A target's own time keeps the event's key stable when it is read again after a
   * restart, so it is stored once.
   */
  readonly ts?: number;
}

/** What one probe run concluded about one target. */
export interface ProbeResult {
  /** A probe judges: up, degraded or down. `unknown` is only ever set by the runtime. */
  readonly verdict: Exclude<Verdict, 'unknown'>;
  /** Why, as a catalogue code (services/protocol/reasons.ts) with parameters; `ok` when up. */
  readonly reason: Reason;
  /** Measurements with their unit in the name (latencyMs, lossPct); may be empty. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly events?: readonly ProbeEvent[];
}

/**
 * Thrown by a probe that reached the target but cannot judge it (wrong SNMPv3 credentials, a
 * missing system binary). The runtime records `unknown` with this reason, never `down`.
 */
export class CannotJudgeError extends Error {
  readonly reason: Reason;
  constructor(reason: Reason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CannotJudgeError';
    this.reason = reason;
  }
}

/**
 * One way of watching a device from outside (ping, TCP, HTTP, DNS, SNMP). Contract:
 *
 * - `probe` RESOLVES with a verdict for everything the target does, however bad: refused,
 *   unroutable, timing out, answering garbage are all `down` (or `degraded`) with a reason.
 * - It THROWS only when it cannot judge: a config its schema should have refused, a missing
 *   binary, a bug. The runtime then records `unknown`, so "device down" is never confused with
 *   "monitoring broken" in coverage.
 * - It honours `signal`: once aborted it resolves soon (a `probe-timeout` verdict) and leaves no
 *   socket or child process behind. The runtime enforces its timeout even if a probe does not.
 * - `target` is the config object validated by `configSchema`; the runtime passes the same
 *   object to every run of one target, so a probe may key per-target memory on it (WeakMap).
 */
export interface DeviceProbe<C> {
  /** Stable kebab-case name kept in config files; never renamed. */
  readonly kind: string;
  readonly label: { readonly vi: string; readonly en: string };
  /** A zod strictObject (or a union of them), run when the config is loaded. */
  readonly configSchema: z.ZodType<C>;
  /** A working config, shown in docs and checked against configSchema by the conformance suite. */
  readonly exampleConfig: C;
  /**
   * Config keys, at any depth, that hold secrets (an SNMP community, a password). A commune file
   * never writes them in clear but as `<key>Ref: <secret name>` (config/probe-targets.ts).
   */
  readonly secretKeys?: readonly string[];
  probe(target: C, signal: AbortSignal): Promise<ProbeResult>;
  /**
   * Ends what the probe keeps open between runs of this target (an ONVIF camera's event
   * subscription). The runtime calls it for every target when it stops; a later run may open it
   * again. Resolves, never rejects.
   */
  release?(target: C): Promise<void>;
}

/** A probe of any config, as the registry and the runtime hold it. */
// biome-ignore lint/suspicious/noExplicitAny: the config type is checked by each probe's schema.
export type AnyProbe = DeviceProbe<any>;

export const OK: Reason = { code: 'ok', params: {} };

/** Why the runtime aborts a run: its timeout passed. Probes read `timeoutMs` for their reason. */
export class ProbeTimeout extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`probe timed out after ${timeoutMs} ms`);
    this.name = 'ProbeTimeout';
    this.timeoutMs = timeoutMs;
  }
}

/** The verdict of a run that was aborted, or that the target left unanswered for `timeoutMs`. */
export function timedOut(from: AbortSignal | number): ProbeResult {
  const timeoutMs =
    typeof from === 'number' ? from : from.reason instanceof ProbeTimeout ? from.reason.timeoutMs : 0;
  return { verdict: 'down', reason: { code: 'probe-timeout', params: { timeoutMs } }, metrics: {} };
}

/** Network error codes meaning the address cannot be reached from here at all. */
export const UNROUTABLE_CODES: ReadonlySet<string> = new Set([
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'EACCES',
  'EPERM',
]);

/** Maps a socket error to a down verdict with a catalogue reason; `refused` names the ECONNREFUSED code. */
export function socketDown(err: NodeJS.ErrnoException, host: string, refused: string): ProbeResult {
  const code = err.code ?? 'unknown';
  if (code === 'ECONNREFUSED') return down(refused, { host });
  if (UNROUTABLE_CODES.has(code)) return down('address-unroutable', { host, code });
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME')
    return down('address-unresolved', { host });
  if (code === 'ETIMEDOUT') return down('probe-timeout', { timeoutMs: 0 });
  return down('network-error', { host, code });
}

export function down(code: string, params: Record<string, string | number> = {}): ProbeResult {
  return { verdict: 'down', reason: { code, params }, metrics: {} };
}

/**
 * The verdict of a run that got its answer: `degraded / latency-high` when it came later than the
 * target's `latencyDegradedMs` (a line that answers slowly), else `up / ok`.
 */
export function answered(
  target: { readonly latencyDegradedMs?: number },
  latencyMs: number,
  metrics: Record<string, number>,
): ProbeResult {
  if (target.latencyDegradedMs !== undefined && latencyMs > target.latencyDegradedMs)
    return {
      verdict: 'degraded',
      reason: { code: 'latency-high', params: { latencyMs, thresholdMs: target.latencyDegradedMs } },
      metrics,
    };
  return { verdict: 'up', reason: OK, metrics };
}
