import { z } from 'zod';
import { COVERAGE_RULES, coverageOf, coveredShare } from '../coverage.ts';
import { defineIndicator, round2 } from '../indicator.ts';
import { basisOf } from './uptime.ts';

/**
 * Coverage of hamlets: the share of hamlets where at least one device of the type (a loudspeaker;
 * for `uplink`, also the lines the hamlet's sites hang off) worked for at least `minPct` of the
 * period, by count of hamlets or by their population. A hamlet with no such device is not covered;
 * one whose devices were never judged (all unknown or maintenance) is listed apart, out of the
 * ratio.
 */
export const hamletCoverage = defineIndicator({
  kind: 'hamlet-coverage',
  label: { vi: 'Tỷ lệ ấp được phục vụ', en: 'Hamlets covered' },
  unit: 'pct',
  better: 'higher',
  configSchema: z.strictObject({
    deviceType: z.string().default('loudspeaker'),
    minPct: z.number().min(0).max(100).default(95),
    /** `population`: the share of residents (hamlets without a population figure are left out). */
    weight: z.enum(['hamlets', 'population']).default('hamlets'),
  }),
  exampleConfig: { deviceType: 'loudspeaker', minPct: 95, weight: 'hamlets' as const },
  rules: [...COVERAGE_RULES],
  compute(input, params) {
    const siteHamlet = new Map(input.sites.map((s) => [s.id, s.hamlet]));
    const lineHamlets = new Map<string, Set<string>>();
    for (const s of input.sites)
      if (s.uplink) lineHamlets.set(s.uplink, (lineHamlets.get(s.uplink) ?? new Set()).add(s.hamlet));
    const counted = input.ledgers.filter((l) => l.device.type === params.deviceType && l.segments.length > 0);
    const rows = input.hamlets.map((h) => {
      const members = counted.filter(
        (l) =>
          l.device.hamletId === h.id ||
          siteHamlet.get(l.device.siteId) === h.id ||
          (l.device.isUplink && lineHamlets.get(l.device.id)?.has(h.id)),
      );
      const { ms, pct, status } = coverageOf(members, params.minPct);
      return {
        key: h.id,
        label: h.name,
        value: pct,
        basis: { status, devices: members.length, population: h.population ?? null, ...basisOf(ms) },
      };
    });
    const share = coveredShare(rows.map((r) => r.basis.status));
    const hamletPct = share.pct;
    const judged = rows.filter((r) => r.basis.status !== 'not-judged');
    const covered = judged.filter((r) => r.basis.status === 'covered');
    const pop = (rs: typeof rows) => rs.reduce((n, r) => n + (r.basis.population ?? 0), 0);
    const withPop = judged.filter((r) => r.basis.population !== null);
    const popPct = pop(withPop) > 0 ? round2((100 * pop(covered)) / pop(withPop)) : null;
    return {
      value: params.weight === 'population' ? popPct : hamletPct,
      basis: {
        hamlets: rows.length,
        covered: covered.length,
        notJudged: rows.length - judged.length,
        noDevice: rows.filter((r) => r.basis.status === 'no-device').length,
        hamletPct,
        populationCovered: pop(covered),
        populationJudged: pop(withPop),
        populationPct: popPct,
        hamletsWithoutPopulation: judged.length - withPop.length,
      },
      rows,
    };
  },
});
