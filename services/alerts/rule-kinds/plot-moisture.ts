/**
 * What plot-dry and plot-wet share: a farm plot's mean moisture against its bounds in use (the
 * economics office's, else the commune file's, read at each evaluation so an edit counts at once),
 * judged like any metric over time. The plot's alert is carried by its first soil sensor, so it
 * has a place (site, hamlet) and is routed like a soil sensor's; by default to the economics
 * office alone (issue #13: the pilot is theirs).
 */
import { z } from 'zod';
import { NOTIFY_ROLES, RuleBase } from '../../../config/schema/alert-rule-base.ts';
import { LOOKBACK_MS, plotMeanSeries, trailingRun } from './metric-episode.ts';
import type { MetricEpisode, ReadingsContext, RuleKind } from './rule-kind.ts';

export function plotSchema<K extends 'plot-dry' | 'plot-wet'>(kind: K) {
  return z.strictObject({
    kind: z.literal(kind),
    ...RuleBase,
    /** Told instead of the commune's chain: the economics office unless named otherwise. */
    roles: z.array(z.enum(NOTIFY_ROLES)).min(1).default(['economics']),
  });
}

export type PlotRule = z.output<ReturnType<typeof plotSchema>>;

export async function plotEpisodes(
  rule: PlotRule,
  ctx: ReadingsContext,
  side: 'dry' | 'wet',
): Promise<Map<string, MetricEpisode>> {
  const out = new Map<string, MetricEpisode>();
  const inScope = new Set(ctx.devices.map((d) => d.id));
  for (const p of ctx.plots()) {
    const carrier = p.sensorIds[0];
    const bound = side === 'dry' ? p.dryBelowPct : p.wetAbovePct;
    if (carrier === undefined || !inScope.has(carrier) || bound === null) continue;
    const from = ctx.now - rule.minutes * 60_000 - LOOKBACK_MS;
    const perSensor = await Promise.all(
      p.sensorIds.map((id) => ctx.readings(id, 'soilMoisturePct', from, ctx.now + 1)),
    );
    const run = trailingRun(plotMeanSeries(perSensor), (v) => (side === 'dry' ? v < bound : v > bound));
    if (!run) continue;
    out.set(carrier, {
      deviceId: carrier,
      sinceTs: run.sinceTs,
      reason: `plot-${side}`,
      params: { plot: p.name, moisturePct: run.value, boundPct: bound },
    });
  }
  return out;
}

/** One plot kind: the two differ only in the bound they judge against, their label and example. */
export function plotRuleKind<K extends 'plot-dry' | 'plot-wet'>(
  kind: K,
  label: { readonly vi: string; readonly en: string },
  exampleId: string,
) {
  const side = kind === 'plot-dry' ? 'dry' : 'wet';
  const schema = plotSchema(kind);
  return {
    kind,
    label,
    configSchema: schema,
    exampleConfig: { kind, id: exampleId, minutes: 120, severity: 'warning', roles: ['economics'] },
    since: (_rule, _s, episode) => episode?.sinceTs ?? null,
    stillHolds: (_rule, _reason, _since, _s, episode) => episode !== undefined,
    closedEpisode: () => false,
    roles: (rule) => rule.roles,
    evaluate: (rule, ctx) => plotEpisodes(rule, ctx, side),
  } satisfies RuleKind<z.output<typeof schema>>;
}
