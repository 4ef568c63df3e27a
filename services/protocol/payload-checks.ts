import type { Heartbeat, Telemetry } from './payloads.ts';

/**
 * Hand-written checks for the two documents nearly every message is (telemetry, heartbeat), run
 * before the zod schemas in payloads.ts. A zod parse of a telemetry document builds a new object,
 * an issue list and a closure per metric; at a province's rate that was a tenth of the service's
 * CPU. Each check is at least as strict as its schema and answers true only for a document the
 * schema accepts and returns unchanged (no defaults, no transforms), so the caller may use the
 * document itself. False means "ask the schema": it refuses with its reasons, or accepts what
 * this check is too narrow for. test/unit/protocol/payload-checks.test.ts holds the two side by side.
 */

/** payloads.ts `Ts`: an integer epoch ms between 2000 and 2100. */
function isTs(ts: unknown): boolean {
  return (
    ts === undefined ||
    (Number.isInteger(ts) && (ts as number) >= 946_684_800_000 && (ts as number) <= 4_102_444_800_000)
  );
}

const METRIC_NAME = /^[a-z][a-zA-Z0-9]{0,47}$/;

function isPlainObject(o: unknown): o is Record<string, unknown> {
  return (
    typeof o === 'object' && o !== null && !Array.isArray(o) && Object.getPrototypeOf(o) === Object.prototype
  );
}

export function isPlainTelemetryV1(doc: unknown): doc is Telemetry {
  if (!isPlainObject(doc) || doc.v !== 1 || !isTs(doc.ts)) return false;
  let keys = 0;
  for (const k in doc) {
    if (k !== 'v' && k !== 'ts' && k !== 'metrics') return false;
    keys += 1;
  }
  if (keys !== (doc.ts === undefined ? 2 : 3)) return false;
  const metrics = doc.metrics;
  if (!isPlainObject(metrics)) return false;
  let n = 0;
  for (const name in metrics) {
    if (!Object.hasOwn(metrics, name) || !METRIC_NAME.test(name) || !Number.isFinite(metrics[name]))
      return false;
    n += 1;
  }
  return n > 0 && n <= 64;
}

const HEARTBEAT_KEYS = new Set(['v', 'ts', 'seq', 'uptimeSec', 'rssiDbm', 'fw']);

export function isPlainHeartbeatV1(doc: unknown): doc is Heartbeat {
  if (!isPlainObject(doc) || doc.v !== 1 || !isTs(doc.ts)) return false;
  for (const k in doc) if (!Object.hasOwn(doc, k) || !HEARTBEAT_KEYS.has(k)) return false;
  const { seq, uptimeSec, rssiDbm, fw } = doc;
  if (seq !== undefined && !(Number.isInteger(seq) && (seq as number) >= 0)) return false;
  if (uptimeSec !== undefined && !(Number.isFinite(uptimeSec) && (uptimeSec as number) >= 0)) return false;
  if (
    rssiDbm !== undefined &&
    !(Number.isFinite(rssiDbm) && (rssiDbm as number) >= -150 && (rssiDbm as number) <= 0)
  )
    return false;
  return fw === undefined || (typeof fw === 'string' && fw.length <= 64);
}
