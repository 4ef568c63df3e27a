import type { Db } from '../store/db.ts';
import { UPSTREAM_REASONS } from './conditions.ts';

const BAD_STATES = "('down', 'unreachable', 'degraded')";
const UPSTREAM_LIST = `(${[...UPSTREAM_REASONS].map((r) => `'${r}'`).join(', ')})`;

/**
 * A device's own failures (bad states not caused by an upstream) that began after a time: what
 * flapping counts, both when an alert opens and when it may resolve.
 */
export function failureCounter(db: Db): (deviceId: string, afterTs: number) => number {
  const count = db.prepare(
    `SELECT COUNT(*) AS n FROM state_intervals WHERE device_id = ? AND start_ts > ?
     AND state IN ${BAD_STATES} AND reason NOT IN ${UPSTREAM_LIST}`,
  );
  return (deviceId, afterTs) => (count.get(deviceId, afterTs) as { n: number }).n;
}
