import { z } from 'zod';
import { SITE_KINDS } from '../../../config/schema/commune.ts';
import { COVERAGE_RULES, coverageOf, coveredShare } from '../coverage.ts';
import { defineIndicator } from '../indicator.ts';
import { type DeviceLedger, emptyMs, type Segment } from '../ledger.ts';
import { basisOf } from './uptime.ts';

/**
 * What the camera probe says when a camera still streams but no longer watches its scene
 * (gateway/probes/onvif.ts): covered, blurred (sprayed, defocused) or turned away. For the uptime
 * figure that is degraded, so available; a key point watched through a covered lens is not watched,
 * so here it counts against the camera. Dark is left out: at night without IR it is not tampering.
 */
export const TAMPER_REASONS: ReadonlySet<string> = new Set([
  'camera-covered',
  'camera-blurred',
  'camera-scene-moved',
]);

/** The ledger with tampered time moved from available to unavailable (same segments, same times). */
export function untamperedLedger(l: DeviceLedger): DeviceLedger {
  const ms = emptyMs();
  const segments = l.segments.map((s): Segment => {
    const tampered = s.state === 'degraded' && s.reason !== null && TAMPER_REASONS.has(s.reason);
    const out = tampered ? { ...s, bucket: 'unavailable' as const } : s;
    ms[out.bucket] += s.endTs - s.startTs;
    if (s.state === 'unreachable') ms.unreachable += s.endTs - s.startTs;
    return out;
  });
  return { ...l, segments, ms };
}

/**
 * % of key points (sites of the key-point and police-post kinds) with a working, untampered camera
 * for at least `minPct` of the period. Aggregates only: a row names the place, never a camera.
 */
export const cameraUntampered = defineIndicator({
  kind: 'camera-untampered',
  label: {
    vi: 'Tỷ lệ điểm trọng yếu có camera hoạt động, không bị can thiệp',
    en: 'Key points with a working, untampered camera',
  },
  unit: 'pct',
  better: 'higher',
  configSchema: z.strictObject({
    deviceType: z.string().default('camera'),
    siteKinds: z.array(z.enum(SITE_KINDS)).min(1).default(['key-point', 'police-post']),
    minPct: z.number().min(0).max(100).default(95),
  }),
  exampleConfig: {
    deviceType: 'camera',
    siteKinds: ['key-point' as const, 'police-post' as const],
    minPct: 95,
  },
  rules: ['kpi.rule.tamper', ...COVERAGE_RULES],
  compute(input, params) {
    const counted = input.ledgers
      .filter((l) => l.device.type === params.deviceType && l.segments.length > 0)
      .map(untamperedLedger);
    const rows = input.sites
      .filter((s) => (params.siteKinds as readonly string[]).includes(s.kind))
      .map((s) => {
        const members = counted.filter((l) => l.device.siteId === s.id);
        const { ms, pct, status } = coverageOf(members, params.minPct);
        return {
          key: s.id,
          label: s.name,
          value: pct,
          basis: { status, cameras: members.length, ...basisOf(ms) },
        };
      });
    const share = coveredShare(rows.map((r) => r.basis.status));
    const tamperedMs = counted.reduce(
      (n, l) =>
        n +
        l.segments.reduce(
          (m, s) => m + (s.state === 'degraded' && s.bucket === 'unavailable' ? s.endTs - s.startTs : 0),
          0,
        ),
      0,
    );
    return {
      value: share.pct,
      basis: {
        keyPoints: rows.length,
        covered: share.covered,
        notJudged: rows.length - share.judged,
        noCamera: rows.filter((r) => r.basis.status === 'no-device').length,
        tamperedMs,
      },
      rows,
    };
  },
});
