/**
 * The timed steps of an open alert, decided from its row and the clock alone (pure), so a restart
 * takes up exactly where the last run left off: firing → (no acknowledgement within T) next step
 * of the chain → repeats to the last step, capped; acknowledged → firing again when the
 * acknowledgement expires.
 */
export type AlertStatus = 'firing' | 'acknowledged' | 'resolved';

export interface OpenAlertClock {
  readonly status: AlertStatus;
  /** Index of the escalation step last told. */
  readonly step: number;
  readonly steppedTs: number;
  readonly notifiedTs: number;
  readonly repeats: number;
  readonly ackUntilTs: number | null;
  /**
   * Since when the alert is suppressed (its device in maintenance or a window); null or absent
   * when it is not. A suppressed alert neither repeats nor escalates.
   */
  readonly suppressedSinceTs?: number | null;
}

export interface Timings {
  readonly escalateAfterMs: number;
  readonly repeatEveryMs: number;
  readonly maxRepeats: number;
}

export type TimedAction = 'refire' | 'escalate' | 'repeat' | null;

/**
 * What is due now. An expired acknowledgement fires again (from the first step, as a repeat:
 * capped like any repeat). An unacknowledged alert escalates while a next step exists, then
 * repeats to the last step told until `maxRepeats`.
 */
export function timedAction(a: OpenAlertClock, stepCount: number, t: Timings, now: number): TimedAction {
  if (a.status === 'resolved' || (a.suppressedSinceTs ?? null) !== null) return null;
  if (a.status === 'acknowledged')
    return a.ackUntilTs !== null && now >= a.ackUntilTs && a.repeats < t.maxRepeats ? 'refire' : null;
  if (a.step + 1 < stepCount && now - a.steppedTs >= t.escalateAfterMs) return 'escalate';
  if (a.repeats < t.maxRepeats && now - a.notifiedTs >= t.repeatEveryMs) return 'repeat';
  return null;
}

/** The row change a due timed action makes (its notification is the action's event). */
export function timedChange(
  a: Pick<OpenAlertClock, 'step' | 'repeats'>,
  action: Exclude<TimedAction, null>,
  now: number,
): Partial<OpenAlertClock> {
  if (action === 'escalate') return { step: a.step + 1, steppedTs: now, notifiedTs: now };
  if (action === 'repeat') return { repeats: a.repeats + 1, notifiedTs: now };
  return {
    status: 'firing',
    step: 0,
    steppedTs: now,
    notifiedTs: now,
    repeats: a.repeats + 1,
    ackUntilTs: null,
  };
}

/** Flapping: this many state changes of one device inside the window. */
export function isFlapping(changesInWindow: number, threshold: number): boolean {
  return changesInWindow >= threshold;
}

/**
 * The clock of an alert whose suppression ends at `now`: its step and repeat timers move on by
 * the time it was suppressed, so suppressed time never uses up an escalation step or a repeat
 * interval (issue #14). An acknowledgement's expiry is a time a person gave: it does not move.
 */
export function resumed(
  a: Pick<OpenAlertClock, 'steppedTs' | 'notifiedTs' | 'suppressedSinceTs'>,
  now: number,
): { steppedTs: number; notifiedTs: number; suppressedSinceTs: null } {
  const paused = a.suppressedSinceTs == null ? 0 : Math.max(0, now - a.suppressedSinceTs);
  return { steppedTs: a.steppedTs + paused, notifiedTs: a.notifiedTs + paused, suppressedSinceTs: null };
}
