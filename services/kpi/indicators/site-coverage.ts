import { z } from 'zod';
import { SITE_KINDS } from '../../../config/schema/commune.ts';
import { COVERAGE_RULES, coverageOf, coveredShare } from '../coverage.ts';
import { defineIndicator } from '../indicator.ts';
import { basisOf } from './uptime.ts';

/**
 * Coverage of places: the share of sites of the given kinds (community houses, schools, health
 * stations) where a device of the type at the site (for `uplink`, also the line the site hangs
 * off) worked for at least `minPct` of the period. A site without one is not covered; one never
 * judged is listed apart, out of the ratio.
 */
export const siteCoverage = defineIndicator({
  kind: 'site-coverage',
  label: { vi: 'Tỷ lệ địa điểm được phục vụ', en: 'Places covered' },
  unit: 'pct',
  better: 'higher',
  configSchema: z.strictObject({
    deviceType: z.string(),
    siteKinds: z.array(z.enum(SITE_KINDS)).min(1),
    minPct: z.number().min(0).max(100).default(95),
  }),
  exampleConfig: { deviceType: 'wifi-ap', siteKinds: ['cultural-house' as const], minPct: 95 },
  rules: [...COVERAGE_RULES],
  compute(input, params) {
    const counted = input.ledgers.filter((l) => l.device.type === params.deviceType && l.segments.length > 0);
    const rows = input.sites
      .filter((s) => (params.siteKinds as readonly string[]).includes(s.kind))
      .map((s) => {
        const members = counted.filter(
          (l) => l.device.siteId === s.id || (l.device.isUplink && l.device.id === s.uplink),
        );
        const { ms, pct, status } = coverageOf(members, params.minPct);
        return {
          key: s.id,
          label: s.name,
          value: pct,
          basis: { status, devices: members.length, ...basisOf(ms) },
        };
      });
    const share = coveredShare(rows.map((r) => r.basis.status));
    return {
      value: share.pct,
      basis: {
        sites: rows.length,
        covered: share.covered,
        notJudged: rows.length - share.judged,
        noDevice: rows.filter((r) => r.basis.status === 'no-device').length,
      },
      rows,
    };
  },
});
