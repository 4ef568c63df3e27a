import { type DeviceState, STATES } from '../availability/states.ts';

export type StateCounts = Record<DeviceState, number>;

export interface CountsByType {
  /** Devices per state, all types together. */
  readonly counts: StateCounts;
  /** Devices per state for each device type kind present. */
  readonly byType: Record<string, StateCounts>;
}

export const emptyCounts = (): StateCounts => Object.fromEntries(STATES.map((s) => [s, 0])) as StateCounts;

/** Counts devices by state, overall and per type. Pure: the caller chooses which devices count. */
export function countStates(
  devices: Iterable<{ readonly type: string; readonly state: DeviceState }>,
): CountsByType {
  const counts = emptyCounts();
  const byType: Record<string, StateCounts> = {};
  for (const d of devices) {
    counts[d.state] += 1;
    byType[d.type] ??= emptyCounts();
    byType[d.type]![d.state] += 1;
  }
  return { counts, byType };
}

/** Adds several CountsByType together (a province rollup of its communes). */
export function sumCounts(parts: Iterable<CountsByType>): CountsByType {
  const counts = emptyCounts();
  const byType: Record<string, StateCounts> = {};
  for (const p of parts) {
    for (const s of STATES) counts[s] += p.counts[s];
    for (const [type, c] of Object.entries(p.byType)) {
      byType[type] ??= emptyCounts();
      for (const s of STATES) byType[type]![s] += c[s];
    }
  }
  return { counts, byType };
}
