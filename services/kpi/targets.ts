import type { KpiTargetConfig } from '../../config/schema/kpi.ts';
import type { Period } from '../read-model/read-model.ts';
import type { Indicator, IndicatorResult, KpiInput } from './indicator.ts';
import { indicators } from './indicators/registry.ts';

export const KPI_STATUSES = ['on-track', 'at-risk', 'missed', 'no-data'] as const;
export type KpiStatus = (typeof KPI_STATUSES)[number];

/** One target's figure over a period: what a leader signs, and what it was checked against. */
export interface KpiFigure extends IndicatorResult {
  readonly targetId: string;
  readonly name: string;
  readonly indicator: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly unit: Indicator['unit'];
  readonly better: Indicator['better'];
  readonly target: number;
  readonly targetPeriod: KpiTargetConfig['period'];
  readonly planRef: string | null;
  readonly status: KpiStatus;
  /** i18n keys of the accounting rules printed next to the figure. */
  readonly rules: readonly string[];
}

/**
 * Status against the target. Met with room to spare (more than `margin` in the indicator's unit):
 * on track. Met by less than the margin: at risk. Not met: at risk while the period is still
 * running (it can recover), missed once it has closed. No figure: no data.
 */
export function kpiStatus(
  value: number | null,
  target: number,
  better: Indicator['better'],
  margin: number,
  periodClosed: boolean,
): KpiStatus {
  if (value === null) return 'no-data';
  const room = better === 'higher' ? value - target : target - value;
  if (room >= 0) return room >= margin || (room === 0 && margin === 0) ? 'on-track' : 'at-risk';
  return periodClosed ? 'missed' : 'at-risk';
}

/** Every target of the commune computed over the input's period. Pure. */
export function evaluateTargets(
  targets: readonly KpiTargetConfig[],
  input: KpiInput,
  margin: number,
): KpiFigure[] {
  const closed = input.nowTs >= input.period.toTs;
  return targets.map((t) => {
    const ind = indicators.get(t.indicator)!;
    // Validated at load (config/kpi.ts), so parse fills defaults and cannot throw.
    const params = ind.configSchema.parse(t.params);
    const r = ind.compute(input, params);
    return {
      targetId: t.id,
      name: t.name,
      indicator: t.indicator,
      params: params as Record<string, unknown>,
      unit: ind.unit,
      better: ind.better,
      target: t.target,
      targetPeriod: t.period,
      planRef: t.planRef ?? null,
      status: kpiStatus(r.value, t.target, ind.better, margin, closed),
      rules: ind.rules,
      ...r,
    };
  });
}

export type { Period };
