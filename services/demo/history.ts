import { TELEMETRY } from '../../gateway/simulator/telemetry.ts';
import type { IntervalLog } from '../availability/interval-log.ts';
import type { DeviceInfo } from '../inventory/device-directory.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { Reading, Store } from '../store/store.ts';

const MIN = 60_000;

export interface DemoHistoryDeps {
  readonly db: Db;
  readonly devices: readonly DeviceInfo[];
  /** Devices the probe runtime watches: their outages read as a probe's, not a missed heartbeat. */
  readonly probed: ReadonlySet<string>;
  readonly intervals: Pick<IntervalLog, 'transition'>;
  readonly store: Pick<Store, 'write' | 'rollup'>;
  readonly hours: number;
  readonly clock: () => number;
  readonly log: Logger;
  readonly random?: () => number;
}

/**
 * The demo's past (issue #17: a newcomer saw only green for 20 minutes): on the first start of an
 * empty data folder with the simulator on, `hours` of state intervals and readings, written through
 * the same IntervalLog and Store as live evidence, so charts, uptime and history have something to
 * show at once. Each device is up, and about one in five had one or two outages. The last interval
 * stays open: the engine's start closes it as the service's own restart, as after any downtime.
 * Nothing is written when the data folder already holds intervals (a real history).
 */
export async function backfillDemoHistory(
  deps: DemoHistoryDeps,
): Promise<{ intervals: number; readings: number } | null> {
  const row = deps.db.prepare('SELECT COUNT(*) AS n FROM state_intervals').get() as { n: number };
  if (row.n > 0) return null;
  const random = deps.random ?? Math.random;
  const now = deps.clock();
  let intervals = 0;
  let readings = 0;
  for (const d of deps.devices) {
    const fromTs = Math.max(now - deps.hours * 60 * MIN, d.commissionedTs);
    if (fromTs >= now - 10 * MIN) continue;
    const outages = outagesOf(fromTs, now, random);
    const down = (ts: number) => outages.some(([a, b]) => ts >= a && ts < b);
    const move = (state: 'up' | 'down', ts: number) => {
      const reason = state === 'up' ? 'message' : deps.probed.has(d.id) ? 'probe-timeout' : 'heartbeat-late';
      deps.intervals.transition({
        deviceId: d.id,
        communeId: d.communeId,
        state,
        reason,
        params: {},
        ts,
        lastHeardTs: state === 'up' ? ts : null,
      });
      intervals++;
    };
    move('up', fromTs);
    for (const [a, b] of outages) {
      move('down', a);
      move('up', b);
    }
    const batch = sampleReadings(d, fromTs, now, down, random);
    // In slices: one write of a day of a hundred devices would be one long transaction.
    for (let i = 0; i < batch.length; i += 2000) await deps.store.write(batch.slice(i, i + 2000));
    readings += batch.length;
  }
  // The retention job rolls up only recent minutes: the charts read the past from rollups.
  await deps.store.rollup(now - deps.hours * 60 * MIN - 60 * MIN, now);
  deps.log.info({ hours: deps.hours, intervals, readings }, 'demo history written');
  return { intervals, readings };
}

/** Zero, one or two outages of 5–45 min, none in the last half hour (the live demo takes over). */
function outagesOf(fromTs: number, toTs: number, random: () => number): [number, number][] {
  if (random() > 0.2) return [];
  const out: [number, number][] = [];
  const n = random() < 0.4 ? 2 : 1;
  const span = toTs - 30 * MIN - fromTs;
  for (let i = 0; i < n; i++) {
    const a = fromTs + ((i + random() * 0.8) / n) * span;
    out.push([Math.round(a), Math.round(a + (5 + random() * 40) * MIN)]);
  }
  return out;
}

/** The type's simulated telemetry every 10 min (a sleepy sensor: every report interval). */
function sampleReadings(
  d: DeviceInfo,
  fromTs: number,
  toTs: number,
  down: (ts: number) => boolean,
  random: () => number,
): Reading[] {
  const generate = TELEMETRY[d.type.kind];
  if (!generate) return [];
  const stepMs = d.type.sleepy ? d.heartbeatIntervalSec * 1000 : 10 * MIN;
  const state = {};
  const out: Reading[] = [];
  for (let ts = fromTs + stepMs; ts < toTs; ts += stepMs) {
    if (down(ts)) continue;
    for (const [metric, value] of Object.entries(generate({ nowTs: ts, state, random })))
      out.push({ communeId: d.communeId, deviceId: d.id, metric, ts, value });
  }
  return out;
}
