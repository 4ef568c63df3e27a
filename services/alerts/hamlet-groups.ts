/**
 * Grouping by hamlet (pure): when a down-for alert opens, the devices of the same hamlet that went
 * down on their own within the window of it (a power cut, a storm) and whose alerts will come due
 * soon are its group. Its first message waits until the last of them is due (at most the window
 * from now), and every message of the group to one person leaves as one (services/notify/outbox.ts).
 * A device behind a failing upstream is never here: its cause's alert lists it (grouping by root cause).
 */
import type { AlertRule } from '../../config/schema/alerts.ts';
import { causeOf, conditionSince, type DeviceFacts, type StatusFacts } from './conditions.ts';

export interface HamletGroup {
  readonly key: string;
  readonly holdUntilTs: number;
}

export function hamletGroup(opts: {
  readonly communeId: string;
  readonly device: DeviceFacts;
  readonly rule: AlertRule;
  readonly sinceTs: number;
  /** Every device's status, and its facts (undefined for a device no longer in the inventory). */
  readonly statuses: Iterable<StatusFacts & { deviceId: string; communeId: string }>;
  readonly factsOf: (deviceId: string) => DeviceFacts | undefined;
  readonly rules: readonly AlertRule[];
  readonly windowMs: number;
  readonly now: number;
}): HamletGroup | undefined {
  const { device, rule, windowMs, now } = opts;
  if (windowMs <= 0 || rule.kind !== 'down-for') return undefined;
  let holdUntilTs = now;
  for (const status of opts.statuses) {
    if (status.communeId !== opts.communeId || status.deviceId === device.id || causeOf(status) !== null)
      continue;
    const facts = opts.factsOf(status.deviceId);
    if (facts?.hamletId !== device.hamletId) continue;
    for (const r of opts.rules) {
      if (r.kind !== 'down-for') continue;
      const since = conditionSince(r, facts, status);
      if (since === null || Math.abs(since - opts.sinceTs) > windowMs) continue;
      holdUntilTs = Math.max(holdUntilTs, since + r.minutes * 60_000);
    }
  }
  return {
    key: `hamlet:${opts.communeId}:${device.hamletId}`,
    holdUntilTs: Math.min(holdUntilTs, now + windowMs),
  };
}
