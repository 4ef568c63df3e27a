import { z } from 'zod';
import { NOTIFY_ROLES, RuleBase } from '../../../config/schema/alert-rule-base.ts';

import { BATTERY_WINDOW_DAYS } from '../../kpi/soil.ts';
import { daysLeftSeries, LOOKBACK_MS, type TimedValue, trailingRun } from './metric-episode.ts';
import type { MetricEpisode, RuleKind } from './rule-kind.ts';

/** Not stored but derived from the battery's history: days until empty, as the farms page shows. */
export const DAYS_LEFT = 'batteryDaysLeft';

const schema = z
  .strictObject({
    kind: z.literal('metric-threshold'),
    ...RuleBase,
    /** A stored metric (camelCase, e.g. batteryPct, lostUplinksPct, latencyMs) or batteryDaysLeft. */
    metric: z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'a metric name in camelCase, e.g. batteryPct'),
    /** The alert holds while the newest value is above this … */
    above: z.number().optional(),
    /** … or below this: give exactly one. */
    below: z.number().optional(),
    /** Told instead of the commune's chain; the chain when absent. */
    roles: z.array(z.enum(NOTIFY_ROLES)).min(1).optional(),
  })
  .refine((r) => (r.above === undefined) !== (r.below === undefined), {
    message: 'give either above or below (one bound per rule)',
    path: ['above'],
  });
type Rule = z.output<typeof schema>;

async function seriesOf(rule: Rule, deviceId: string, ctx: Parameters<NonNullable<RuleKind['evaluate']>>[1]) {
  const to = ctx.now + 1;
  if (rule.metric !== DAYS_LEFT) {
    const from = ctx.now - rule.minutes * 60_000 - LOOKBACK_MS;
    return (await ctx.readings(deviceId, rule.metric, from, to)) as readonly TimedValue[];
  }
  const from = ctx.now - BATTERY_WINDOW_DAYS * 86_400_000;
  const pct = await ctx.readings(deviceId, 'batteryPct', from, to);
  if (pct.length > 0) return daysLeftSeries(pct, 'batteryPct');
  return daysLeftSeries(await ctx.readings(deviceId, 'batteryV', from, to), 'batteryV');
}

/**
 * A device's metric over or under a bound for `minutes` (issue #14: battery low, days until
 * empty, LoRa uplink loss, latency). Judged on the stored readings, so the run's start survives a
 * restart: the alert opens once the newest reading and every one before it back to `minutes` ago
 * are out of bounds, and resolves at the first reading back within them.
 */
export const metricThreshold = {
  kind: 'metric-threshold',
  label: { vi: 'Chỉ số vượt ngưỡng quá N phút', en: 'Metric beyond a bound for N minutes' },
  configSchema: schema,
  exampleConfig: {
    kind: 'metric-threshold',
    id: 'mat-ban-tin-lora',
    minutes: 60,
    severity: 'warning',
    deviceTypes: ['soil-sensor'],
    metric: 'lostUplinksPct',
    above: 20,
  },
  since: (_rule, _s, episode) => episode?.sinceTs ?? null,
  stillHolds: (_rule, _reason, _since, _s, episode) => episode !== undefined,
  closedEpisode: () => false,
  roles: (rule) => rule.roles,
  async evaluate(rule, ctx) {
    const out = new Map<string, MetricEpisode>();
    const over = rule.above !== undefined;
    const bound = (rule.above ?? rule.below)!;
    for (const d of ctx.devices) {
      const run = trailingRun(await seriesOf(rule, d.id, ctx), (v) => (over ? v > bound : v < bound));
      if (!run) continue;
      out.set(d.id, {
        deviceId: d.id,
        sinceTs: run.sinceTs,
        reason: over ? 'metric-above' : 'metric-below',
        params: { metric: rule.metric, value: Math.round(run.value * 10) / 10, bound },
      });
    }
    return out;
  },
} satisfies RuleKind<Rule>;
