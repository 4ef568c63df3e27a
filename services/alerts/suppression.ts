/**
 * Suppression of an open alert while its device is in maintenance or a window (pure). Suppression
 * hides openings, repeats and escalations, never a resolution; the escalation clock stands still
 * while it lasts (lifecycle.ts `resumed`).
 */
import type { AlertRow } from './alert-store.ts';
import { resumed } from './lifecycle.ts';

export function isSuppressed(
  deviceId: string,
  state: string | undefined,
  silenced: ReadonlySet<string>,
): boolean {
  return state === 'maintenance' || silenced.has(deviceId);
}

/** The columns to write when an alert's suppression begins or ends at `now`; null when unchanged. */
export function suppressionChange(
  a: Pick<AlertRow, 'steppedTs' | 'notifiedTs' | 'suppressedSinceTs'>,
  suppressed: boolean,
  now: number,
): { suppressedSinceTs: number | null; steppedTs?: number; notifiedTs?: number } | null {
  if (suppressed && a.suppressedSinceTs === null) return { suppressedSinceTs: now };
  if (!suppressed && a.suppressedSinceTs !== null) return resumed(a, now);
  return null;
}
