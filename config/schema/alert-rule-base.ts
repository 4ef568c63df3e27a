import { z } from 'zod';
import { Id, Text } from './common.ts';

/**
 * What every alert rule has, whatever its kind (services/alerts/rule-kinds/): apart from
 * config/schema/alerts.ts so the rule kinds can build their schemas on it without importing the
 * file that lists them.
 */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Which devices a rule or a routing step covers; absent lists cover everything. */
export const Scope = {
  deviceTypes: z.array(z.string()).min(1).optional(),
  hamlets: z.array(Id).min(1).optional(),
  sites: z.array(Id).min(1).optional(),
  /** Devices installed or maintained by these contractors (a device's `contractor`, spelt alike). */
  contractors: z.array(Text).min(1).optional(),
};

export const RuleBase = {
  /** Stable: part of each alert's de-duplication key, so never rename it. */
  id: Id,
  /** How long the condition must hold before the alert opens; 0 opens it at once. */
  minutes: z.number().min(0).max(10_080),
  severity: z.enum(SEVERITIES).default('warning'),
  ...Scope,
};

/** Commune roles a rule or a routing step may name (as commune.ts's COMMUNE_ROLES, which imports this file's users). */
export const NOTIFY_ROLES = ['police', 'economics', 'technician', 'leader', 'admin'] as const;
