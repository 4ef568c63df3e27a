/**
 * Whether a rule's condition holds for a device now, and since when (the episode's start, which
 * with the rule and the device is the alert's de-duplication key). Pure: the engine hands in the
 * device's durable status.
 */
import type { AlertRule } from '../../config/schema/alerts.ts';
import type { DeviceState } from '../availability/states.ts';

export interface DeviceFacts {
  readonly id: string;
  readonly type: string;
  readonly hamletId: string;
  readonly siteId: string;
  /** Who installed or maintains it (the commune file's `contractor`), for routing. */
  readonly contractor?: string | undefined;
}

export interface StatusFacts {
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly sinceTs: number;
  readonly lastHeardTs: number | null;
}

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
 * for `rule.minutes`: see `due`.
 */
export function conditionSince(rule: AlertRule, d: DeviceFacts, s: StatusFacts): number | null {
  if (!inScope(rule, d) || s.state === 'maintenance' || causeOf(s) !== null) return null;
  switch (rule.kind) {
    case 'down-for':
      return s.state === 'down' || s.state === 'unreachable' ? s.sinceTs : null;
    case 'degraded-for':
      return s.state === 'degraded' && rule.reasons.includes(s.reason) ? s.sinceTs : null;
    case 'silent':
      // A device never heard since the service knew it is silent from when its state began.
      return s.lastHeardTs ?? s.sinceTs;
  }
}

/** Whether an episode that began at `sinceTs` has lasted long enough to open the alert. */
export function due(rule: AlertRule, sinceTs: number, now: number): boolean {
  return now - sinceTs >= rule.minutes * 60_000;
}

/** A closed interval that by itself satisfied a rule (seen on the cursor after a crash). */
export function closedEpisodeMatches(
  rule: AlertRule,
  d: DeviceFacts,
  i: {
    state: DeviceState;
    reason: string;
    params: Readonly<Record<string, unknown>>;
    startTs: number;
    endTs: number;
  },
): boolean {
  if (rule.kind === 'silent') return false;
  const since = conditionSince(rule, d, { ...i, sinceTs: i.startTs, lastHeardTs: null });
  return since !== null && i.endTs - i.startTs >= rule.minutes * 60_000;
}
