import { describe, expect, it } from 'vitest';
import { AlertRuleSchema } from '../../config/schema/alerts.ts';
import { ruleKinds } from '../../services/alerts/rule-kinds/registry.ts';
import type { ReadingsContext, StatusFacts } from '../../services/alerts/rule-kinds/rule-kind.ts';
import { REASONS } from '../../services/protocol/reasons.ts';
import { CATALOGUES } from '../../services/shared/i18n/index.ts';
import type { Reading } from '../../services/store/store.ts';

const NOW = Date.parse('2026-03-01T12:00:00+07:00');
const up: StatusFacts = {
  state: 'up',
  reason: 'heartbeat',
  params: {},
  sinceTs: NOW - 3_600_000,
  lastHeardTs: NOW,
};

/** A commune of one soil sensor on one plot whose every reading is `value`, each 10 min for a day. */
function context(value: number, readings?: ReadingsContext['readings']): ReadingsContext {
  const rows = (deviceId: string, metric: string, fromTs: number): Reading[] =>
    Array.from({ length: 144 }, (_, i) => ({
      communeId: 'xa-thu',
      deviceId,
      metric,
      ts: NOW - (143 - i) * 600_000,
      value: metric.startsWith('battery') ? value - i * 0.1 : value,
    })).filter((r) => r.ts >= fromTs);
  return {
    communeId: 'xa-thu',
    now: NOW,
    devices: [{ id: 's1', type: 'soil-sensor', hamletId: 'ap-1', siteId: 'vuon' }],
    readings: readings ?? (async (d, m, from) => rows(d, m, from)),
    plots: () => [
      {
        communeId: 'xa-thu',
        siteId: 'vuon',
        name: 'Vườn tiêu',
        dryBelowPct: 20,
        wetAbovePct: 40,
        sensorIds: ['s1'],
      },
    ],
  };
}

/**
 * The contract of an alert rule kind (services/alerts/rule-kinds/rule-kind.ts): its example is a
 * rule the commune file accepts; both languages name it and every reason it gives; a healthy,
 * up device never satisfies it; a readings kind holds only with a finding, finds nothing in
 * in-bounds or empty readings, and its findings start at a reading and carry a catalogued reason.
 */
export function alertRuleKindConformance(kindName: string): void {
  describe(`alert rule kind ${kindName}`, () => {
    const kind = ruleKinds.get(kindName)!;
    const rule = AlertRuleSchema.parse(kind.exampleConfig);

    it('has an example the commune file accepts, and a text for its alerts in vi and en', () => {
      expect(kind).toBeDefined();
      expect(rule.kind).toBe(kindName);
      for (const lang of ['vi', 'en'] as const) {
        expect(CATALOGUES[lang][`alert.kind.${kindName}`], lang).toMatch(/\{minutes\}/);
        expect(kind.label[lang]).not.toBe('');
      }
    });

    it('is not satisfied by an up device with nothing found', () => {
      expect(kind.since(rule, { ...up, lastHeardTs: NOW }, undefined) ?? NOW).toBeGreaterThanOrEqual(NOW);
      expect(kind.closedEpisode(rule, { ...up, startTs: NOW - 60_000, endTs: NOW })).toBe(false);
    });

    if (!kind.evaluate) return;

    it('holds only with a finding, from its start', () => {
      const e = { deviceId: 's1', sinceTs: NOW - 7_200_000, reason: 'metric-above', params: {} };
      expect(kind.since(rule, up, e)).toBe(e.sinceTs);
      expect(kind.stillHolds(rule, e.reason, e.sinceTs, up, e)).toBe(true);
      expect(kind.stillHolds(rule, e.reason, e.sinceTs, up, undefined)).toBe(false);
    });

    it('finds nothing in empty readings or readings within bounds, and never throws on odd values', async () => {
      expect(
        (
          await kind.evaluate!(
            rule,
            context(0, async () => []),
          )
        ).size,
      ).toBe(0);
      for (const odd of [Number.NaN, Number.POSITIVE_INFINITY, -1e12, 1e12])
        await expect(kind.evaluate!(rule, context(odd))).resolves.toBeInstanceOf(Map);
    });

    it('finds a device out of bounds from a reading, with a catalogued reason', async () => {
      const found = [
        ...(await kind.evaluate!(rule, context(-5))).values(),
        ...(await kind.evaluate!(rule, context(1e6))).values(),
      ];
      expect(found.length).toBeGreaterThan(0);
      for (const e of found) {
        expect(e.reason in REASONS, e.reason).toBe(true);
        expect(CATALOGUES.vi[`reason.${e.reason}`]).toBeDefined();
        expect(e.sinceTs % 600_000, 'a reading time').toBe(NOW % 600_000);
        expect(e.sinceTs).toBeLessThanOrEqual(NOW);
      }
    });
  });
}
