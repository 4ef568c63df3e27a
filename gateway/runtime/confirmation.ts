import type { Reason, Verdict } from '../probes/wire.ts';

export interface Judged {
  readonly verdict: Verdict;
  readonly reason: Reason;
}

/**
 * The verdict a target is published with changes only after `confirmations` consecutive results
 * that agree with each other and disagree with it: one lost packet is no outage, one lucky answer
 * no recovery. Before the first confirmed verdict nothing is published (the service shows the
 * device `unknown` until then). Results that agree with the current verdict keep its reason fresh.
 */
export class Confirmation {
  private readonly needed: number;
  private current: Judged | undefined;
  private candidate: { judged: Judged; count: number } | undefined;

  constructor(confirmations: number) {
    if (!Number.isInteger(confirmations) || confirmations < 1)
      throw new Error(`confirmations must be a whole number ≥ 1, got ${confirmations}`);
    this.needed = confirmations;
  }

  /** Takes one run's result; returns the new verdict when it changes, else undefined. */
  push(result: Judged): Judged | undefined {
    if (this.current?.verdict === result.verdict) {
      this.current = result;
      this.candidate = undefined;
      return undefined;
    }
    const count = this.candidate?.judged.verdict === result.verdict ? this.candidate.count + 1 : 1;
    this.candidate = { judged: result, count };
    if (count < this.needed) return undefined;
    this.current = result;
    this.candidate = undefined;
    return result;
  }

  /** The published verdict with its latest reason; undefined until one is confirmed. */
  get verdict(): Judged | undefined {
    return this.current;
  }

  /** Results seen in a row that disagree with the published verdict. */
  get pending(): number {
    return this.candidate?.count ?? 0;
  }
}
