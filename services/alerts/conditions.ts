/**
 * Whether a rule's condition holds for a device now, and since when (the episode's start, which
 * with the rule and the device is the alert's de-duplication key). Pure: the engine hands in the
 * device's durable status.
 */
import type { AlertRule } from '../../config/schema/alerts.ts';
import { ruleKinds } from './rule-kinds/registry.ts';
import type { ClosedInterval, DeviceFacts, MetricEpisode, StatusFacts } from './rule-kinds/rule-kind.ts';

export type { DeviceFacts, StatusFacts } from './rule-kinds/rule-kind.ts';

/**
 * Reasons that say the device is fine but cut off by what it depends on: the cause gets the alert
 * and lists it (grouping by root cause); the device opens none of its own.
 */
export const UPSTREAM_REASONS: ReadonlySet<string> = new Set([
  'upstream-down',
  'upstream-degraded',
  'upstreams-down',
  'uplink-down',
]);

/** The device whose failure explains this one's, or null when it is its own cause. */
export function causeOf(s: StatusFacts): string | null {
  if (s.state === 'maintenance' || !UPSTREAM_REASONS.has(s.reason)) return null;
  const id = s.params.deviceId;
  if (typeof id === 'string' && id !== '') return id;
  const ids = s.params.deviceIds;
  return typeof ids === 'string' && ids !== '' ? ids.split(',')[0]!.trim() : null;
}

export function inScope(
  scope: {
    /** A rule's kind: a report-overdue rule has no scope (it covers every device it never judges). */
    kind?: string;
    deviceTypes?: readonly string[];
    hamlets?: readonly string[];
    sites?: readonly string[];
    contractors?: readonly string[];
  },
  d: DeviceFacts,
): boolean {
  return (
    (scope.deviceTypes?.includes(d.type) ?? true) &&
    (scope.hamlets?.includes(d.hamletId) ?? true) &&
    (scope.sites?.includes(d.siteId) ?? true) &&
    (scope.contractors === undefined ||
      (d.contractor !== undefined && scope.contractors.includes(d.contractor)))
  );
}

/**
 * The start of the episode in which the rule's condition holds, or null when it does not hold
 * (or the device is in maintenance, or behind a failing upstream). It counts only once it has held
 * for `rule.minutes`: see `due`. `episode`: a readings rule's finding for the device (engine.ts).
 */
export function conditionSince(
  rule: AlertRule,
  d: DeviceFacts,
  s: StatusFacts,
  episode?: MetricEpisode,
): number | null {
  if (!inScope(rule, d) || s.state === 'maintenance' || causeOf(s) !== null) return null;
  return ruleKinds.get(rule.kind)!.since(rule, s, episode);
}

/** Whether an episode that began at `sinceTs` has lasted long enough to open the alert. */
export function due(rule: AlertRule, sinceTs: number, now: number): boolean {
  return now - sinceTs >= rule.minutes * 60_000;
}

/** A closed interval that by itself satisfied a rule (seen on the cursor after a crash). */
export function closedEpisodeMatches(rule: AlertRule, d: DeviceFacts, i: ClosedInterval): boolean {
  if (
    !inScope(rule, d) ||
    i.state === 'maintenance' ||
    causeOf({ ...i, sinceTs: i.startTs, lastHeardTs: null }) !== null
  )
    return false;
  return ruleKinds.get(rule.kind)!.closedEpisode(rule, i);
}
