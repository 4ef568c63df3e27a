import type { z } from 'zod';
import { defineRegistry } from '../../shared/registry.ts';
import { degradedFor } from './degraded-for.ts';
import { downFor } from './down-for.ts';
import { metricThreshold } from './metric-threshold.ts';
import { plotDry } from './plot-dry.ts';
import { plotWet } from './plot-wet.ts';
import { reportOverdue } from './report-overdue.ts';
import type { RuleKind } from './rule-kind.ts';
import { silent } from './silent.ts';

/** Every alert rule kind, one file each; a commune file's `alerts.rules[].kind` names one. */
export const RULE_KINDS = [
  downFor,
  degradedFor,
  silent,
  metricThreshold,
  plotDry,
  plotWet,
  reportOverdue,
] as const;

/** A rule of any kind, as its schema outputs it. */
export type AlertRule = z.output<(typeof RULE_KINDS)[number]['configSchema']>;
/** One kind's schema, for the discriminated union in config/schema/alerts.ts. */
export type RuleSchema = (typeof RULE_KINDS)[number]['configSchema'];

export const ruleKinds: ReadonlyMap<string, RuleKind<AlertRule>> = defineRegistry(
  'alert rule kind',
  RULE_KINDS as unknown as readonly RuleKind<AlertRule>[],
);
