import { groupMs } from './group.ts';
import { round2 } from './indicator.ts';
import { availablePct, type DeviceLedger, type LedgerMs } from './ledger.ts';

/** How a place (a hamlet, a site) fares in a coverage indicator. */
export type CoverageStatus = 'no-device' | 'not-judged' | 'covered' | 'not-covered';

/** The rules every coverage indicator states next to its figure. */
export const COVERAGE_RULES = [
  'kpi.rule.coverage',
  'kpi.rule.serviceHours',
  'kpi.rule.maintenance',
  'kpi.rule.unknown',
  'kpi.rule.unreachable',
] as const;

/**
 * One place's coverage from the devices serving it: working as a group (groupMs) for at least
 * `minPct` of its counted time; a place with none is not covered, one never judged is set apart.
 */
export function coverageOf(
  members: readonly DeviceLedger[],
  minPct: number,
): { ms: LedgerMs; pct: number | null; status: CoverageStatus } {
  const ms = groupMs(members);
  const pct = availablePct(ms);
  const status: CoverageStatus =
    members.length === 0
      ? 'no-device'
      : pct === null
        ? 'not-judged'
        : pct >= minPct
          ? 'covered'
          : 'not-covered';
  return { ms, pct, status };
}

/** Covered ÷ judged places, in %; null when none was judged. */
export function coveredShare(statuses: readonly CoverageStatus[]): {
  pct: number | null;
  judged: number;
  covered: number;
} {
  const judged = statuses.filter((s) => s !== 'not-judged').length;
  const covered = statuses.filter((s) => s === 'covered').length;
  return { pct: judged > 0 ? round2((100 * covered) / judged) : null, judged, covered };
}
