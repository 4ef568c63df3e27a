/**
 * Grouping by hamlet (pure): when a down-for alert opens, the devices of the same hamlet that went
 * down on their own within the window of it (a power cut, a storm) and whose alerts will come due
 * soon are its group. Its first message waits until the last of them is due (at most the window
 * from now), and every message of the group to one person leaves as one (services/notify/outbox.ts).
 * A device behind a failing upstream is never here: its cause's alert lists it (grouping by root cause).
 *
 * The statuses are indexed once per sweep (`hamletIndex`): by hamlet, then by down-for rule, each
 * a list of episode starts sorted by time. An opening alert then looks at its own hamlet only and
 * finds the latest start inside its window by binary search, so a storm of n openings costs
 * O(n log n), not the O(n²) of scanning every status for every opening.
 */
import type { AlertRule } from '../../config/schema/alerts.ts';
import { causeOf, conditionSince, type DeviceFacts, type StatusFacts } from './conditions.ts';

export interface HamletGroup {
  readonly key: string;
  readonly holdUntilTs: number;
}

interface Start {
  readonly sinceTs: number;
  readonly deviceId: string;
}

interface RuleStarts {
  readonly minutesMs: number;
  /** Sorted by sinceTs; one entry per device at most. */
  readonly starts: Start[];
}

/** Down-for episode starts of every device, by `commune|hamlet`, then by rule id. */
export type HamletIndex = ReadonlyMap<string, ReadonlyMap<string, RuleStarts>>;

const hamletKey = (communeId: string, hamletId: string) => `${communeId}|${hamletId}`;

export function hamletIndex(opts: {
  /** Every device's status, and its facts (undefined for a device no longer in the inventory). */
  readonly statuses: Iterable<StatusFacts & { deviceId: string; communeId: string }>;
  readonly factsOf: (deviceId: string) => DeviceFacts | undefined;
  readonly rulesOf: (communeId: string) => readonly AlertRule[];
}): HamletIndex {
  const index = new Map<string, Map<string, RuleStarts>>();
  for (const status of opts.statuses) {
    if (causeOf(status) !== null) continue;
    const facts = opts.factsOf(status.deviceId);
    if (!facts) continue;
    for (const r of opts.rulesOf(status.communeId)) {
      if (r.kind !== 'down-for') continue;
      const since = conditionSince(r, facts, status);
      if (since === null) continue;
      const key = hamletKey(status.communeId, facts.hamletId);
      const byRule = index.get(key) ?? new Map<string, RuleStarts>();
      index.set(key, byRule);
      const rs = byRule.get(r.id) ?? { minutesMs: r.minutes * 60_000, starts: [] };
      byRule.set(r.id, rs);
      rs.starts.push({ sinceTs: since, deviceId: status.deviceId });
    }
  }
  for (const byRule of index.values())
    for (const rs of byRule.values()) rs.starts.sort((a, b) => a.sinceTs - b.sinceTs);
  return index;
}

/** Index of the last start at or before `ts` in a sorted list, or -1. */
function lastAtOrBefore(starts: readonly Start[], ts: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]!.sinceTs <= ts) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export function hamletGroup(
  index: HamletIndex,
  opts: {
    readonly communeId: string;
    readonly device: DeviceFacts;
    readonly rule: AlertRule;
    readonly sinceTs: number;
    readonly windowMs: number;
    readonly now: number;
  },
): HamletGroup | undefined {
  const { device, rule, windowMs, now, sinceTs } = opts;
  if (windowMs <= 0 || rule.kind !== 'down-for') return undefined;
  let holdUntilTs = now;
  for (const rs of index.get(hamletKey(opts.communeId, device.hamletId))?.values() ?? []) {
    // The latest start within the window that is not the opening device's own: its alert is due last.
    let i = lastAtOrBefore(rs.starts, sinceTs + windowMs);
    while (i >= 0 && rs.starts[i]!.deviceId === device.id) i--;
    if (i < 0 || rs.starts[i]!.sinceTs < sinceTs - windowMs) continue;
    holdUntilTs = Math.max(holdUntilTs, rs.starts[i]!.sinceTs + rs.minutesMs);
  }
  return {
    key: `hamlet:${opts.communeId}:${device.hamletId}`,
    holdUntilTs: Math.min(holdUntilTs, now + windowMs),
  };
}
