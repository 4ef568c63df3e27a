import { z } from 'zod';
import { RULE_KINDS, type RuleSchema } from '../../services/alerts/rule-kinds/registry.ts';
import { NOTIFY_ROLES, Scope } from './alert-rule-base.ts';
import { Id } from './common.ts';
import { ConfigWindowSchema, DigestSchema, QuietHoursSchema } from './quiet-windows.ts';

/**
 * Alert rules and routing (issue #14). Rules and who is told live in the commune file (`alerts:`);
 * the notifiers (Telegram, e-mail, webhook) and the lifecycle timings in the service file.
 */
export { SEVERITIES, type Severity } from './alert-rule-base.ts';

/**
 * A rule of one of the registered kinds (services/alerts/rule-kinds/registry.ts), each with its
 * own schema: down-for, degraded-for, silent (states), metric-threshold, plot-dry, plot-wet (readings).
 */
export const AlertRuleSchema = z.discriminatedUnion(
  'kind',
  RULE_KINDS.map((k) => k.configSchema) as unknown as [RuleSchema, ...RuleSchema[]],
);
export type { AlertRule } from '../../services/alerts/rule-kinds/registry.ts';
export type AlertRuleKind = z.output<typeof AlertRuleSchema>['kind'];

/**
 * One step of the escalation chain: the users it names, and every user of the listed roles. With
 * deviceTypes/hamlets/sites, the step applies only to alerts about such devices.
 */
export const NotifyStepSchema = z.strictObject({
  roles: z.array(z.enum(NOTIFY_ROLES)).optional(),
  users: z.array(z.string()).optional(),
  /**
   * Only those of the named users and roles who work for the device's own contractor (a user's
   * `contractor`): e.g. `{roles: [technician], deviceContractor: true}` tells the contractor's
   * technicians. Such a step applies only to devices that have a contractor.
   */
  deviceContractor: z.boolean().optional(),
  ...Scope,
});
export type NotifyStep = z.output<typeof NotifyStepSchema>;

/** A commune file's `alerts:` section. */
export const CommuneAlertsSchema = z.strictObject({
  rules: z.array(AlertRuleSchema).default([]),
  /**
   * Who is told, in order: the first step at once, each next step when nobody has acknowledged
   * within the service's `alerts.escalateAfterMin`.
   */
  notify: z.array(NotifyStepSchema).default([{ roles: ['technician'] }]),
  /** Users (besides the police) who are told about cameras: the commune's camera contractor. */
  cameraMaintainers: z.array(z.string()).default([]),
  /** Quiet hours of the commune (a user's own replace them): non-critical messages wait them out. */
  quietHours: QuietHoursSchema.optional(),
  /** The daily digest of yesterday's alerts; none when absent. */
  digest: DigestSchema.optional(),
  /** Recurring maintenance windows the commune plans (the API adds others). */
  windows: z.array(ConfigWindowSchema).default([]),
});
export type CommuneAlerts = z.output<typeof CommuneAlertsSchema>;

/** How a user can be reached; each notifier reads one of these fields. */
export const ContactSchema = z.strictObject({
  /** Telegram chat id (a number as text; the user opens a chat with the bot first). */
  telegramChatId: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^-?\d{1,20}$/, 'a Telegram chat id is a number, e.g. "123456789"'))
    .optional(),
  email: z.email().optional(),
  zaloId: z.string().min(1).optional(),
  phone: z
    .string()
    .regex(/^\+?\d{9,15}$/, 'a phone number in digits, e.g. "+84912345678"')
    .optional(),
});
export type Contact = z.output<typeof ContactSchema>;

/** One configured notifier: a registry kind (services/notify/registry.ts) and its own settings. */
export const NotifierEntrySchema = z.strictObject({
  /** Stable: keys the notifier's outbox rows, so never rename it. */
  name: Id,
  kind: z.string(),
  /** Messages per minute to the provider (Telegram allows about 20 per group, 30 overall). */
  ratePerMin: z.number().int().min(1).max(10_000).default(20),
  /** Only these communes; every commune when absent. */
  communes: z.array(Id).min(1).optional(),
  /** Checked against the kind's configSchema at load. Secrets are named (`tokenRef`), never written. */
  config: z.record(z.string(), z.unknown()).default({}),
});
export type NotifierEntry = z.output<typeof NotifierEntrySchema>;

/** The service file's `alerts:` section. */
export const AlertsConfigSchema = z.strictObject({
  /** The dashboard's address as people reach it, for acknowledge links (e.g. https://canhxa.example.vn). */
  publicBaseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** How often rules are evaluated when nothing wakes the engine up. */
  tickMs: z.number().int().min(20).max(60_000).default(5000),
  escalateAfterMin: z.number().min(0.01).max(10_080).default(15),
  /** An unacknowledged alert is repeated this often to the current step, at most maxRepeats times. */
  repeatEveryMin: z.number().min(0.01).max(10_080).default(60),
  maxRepeats: z.number().int().min(0).max(100).default(3),
  /** How long an acknowledgement holds when the person gives no time; then the alert fires again. */
  ackHours: z.number().min(0.01).max(720).default(4),
  /** `changes` state changes of one device within `windowMin`: one "flapping" alert. */
  flapping: z
    .strictObject({
      changes: z.number().int().min(2).max(1000).default(6),
      windowMin: z.number().min(0.01).max(1440).default(30),
    })
    .prefault({}),
  /**
   * Grouping by hamlet: devices of one hamlet that go down (each on its own, no common upstream)
   * within this many seconds of each other are told in one message per person, listing them; the
   * first waits for the others to come due, at most this long. 0 tells each alert on its own.
   */
  hamletGroupSec: z.number().int().min(0).max(3600).default(120),
  retryBaseMs: z.number().int().min(10).max(600_000).default(2000),
  retryMaxMs: z.number().int().min(100).max(86_400_000).default(600_000),
  /** A provider that does not answer within this counts as a failed attempt. */
  timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  notifiers: z.array(NotifierEntrySchema).default([]),
});
export type AlertsConfig = z.output<typeof AlertsConfigSchema>;
