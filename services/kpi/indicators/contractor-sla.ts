import { z } from 'zod';
import { Id } from '../../../config/schema/common.ts';
import { inContract } from '../contracts.ts';
import { type BreakdownRow, defineIndicator, round2 } from '../indicator.ts';
import { availablePct, sumLedgerMs } from '../ledger.ts';
import { kpiStatus } from '../targets.ts';
import { basisOf } from './uptime.ts';

/**
 * Contractors against their SLA (issue #16): for each contract (a contractor and a budget line),
 * the uptime of the devices it supplies, counted as the uptime KPI counts, against the uptime the
 * contract promised, with on-track / at-risk / missed by the same ladder as a KPI target. The
 * figure is the share of judged contracts meeting their SLA, so a leader can hold a supplier to
 * account line by line.
 */
export const contractorSla = defineIndicator({
  kind: 'contractor-sla',
  label: { vi: 'Nhà thầu đạt cam kết thời gian hoạt động (SLA)', en: 'Contractors meeting their uptime SLA' },
  unit: 'pct',
  better: 'higher',
  configSchema: z.strictObject({
    /** One contractor's contracts; every contractor when absent. */
    contractor: Id.optional(),
    /** A contract meeting its SLA by less than this many points shows as at risk. */
    marginPct: z.number().min(0).max(100).default(1),
  }),
  exampleConfig: { marginPct: 1 },
  rules: [
    'kpi.rule.contractorSla',
    'kpi.rule.counted',
    'kpi.rule.serviceHours',
    'kpi.rule.maintenance',
    'kpi.rule.unknown',
    'kpi.rule.unreachable',
  ],
  devicesOf: (input, params) =>
    input.ledgers.filter((l) =>
      (input.contractors ?? []).some(
        (k) =>
          (params.contractor === undefined || k.id === params.contractor) &&
          k.contracts.some((ct) => inContract(ct, l.device)),
      ),
    ),
  compute(input, params) {
    const closed = input.nowTs >= input.period.toTs;
    const counted = input.ledgers.filter((l) => l.segments.length > 0);
    const rows: BreakdownRow[] = [];
    for (const k of input.contractors ?? []) {
      if (params.contractor !== undefined && k.id !== params.contractor) continue;
      k.contracts.forEach((ct, j) => {
        const ls = counted.filter((l) => inContract(ct, l.device));
        const ms = sumLedgerMs(ls.map((l) => l.ms));
        const value = availablePct(ms);
        rows.push({
          key: `${k.id}.${j}`,
          label: `${k.name} — ${ct.budgetLine}`,
          value,
          basis: {
            contractor: k.id,
            contractorName: k.name,
            illustrative: k.illustrative ? 1 : 0,
            budgetLine: ct.budgetLine,
            slaPct: ct.slaPct,
            status: kpiStatus(value, ct.slaPct, 'higher', params.marginPct, closed),
            devices: ls.length,
            ...basisOf(ms),
          },
        });
      });
    }
    const judged = rows.filter((r) => r.value !== null);
    const met = judged.filter((r) => r.value! >= (r.basis.slaPct as number));
    const count = (s: string) => rows.filter((r) => r.basis.status === s).length;
    return {
      value: judged.length > 0 ? round2((100 * met.length) / judged.length) : null,
      basis: {
        contracts: rows.length,
        met: met.length,
        onTrack: count('on-track'),
        atRisk: count('at-risk'),
        missed: count('missed'),
        notJudged: rows.length - judged.length,
      },
      rows,
    };
  },
});
