/**
 * What an adapter or gateway may say about a device it watches. `unknown` means "I could not
 * judge" (bad config, the adapter crashed, the target unreachable for a reason that is ours): it is
 * monitoring that is broken, not the device, so it never counts as down in uptime or coverage.
 */
export const VERDICTS = ['up', 'degraded', 'down', 'unknown'] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * The `state` of a status document: a verdict, or what a device says of itself (`online` when it
 * connects, `offline` in its last will or before a clean stop).
 */
export const STATUS_STATES = ['online', 'offline', ...VERDICTS] as const;
export type StatusState = (typeof STATUS_STATES)[number];
