import { z } from 'zod';
import { Id } from './common.ts';

/**
 * What a webhook receives: state changes of non-camera devices, periodic per-commune summaries,
 * and each commune's KPIs against its targets once a day at the cut-off (`kpi`).
 */
export const IOC_EVENTS = ['state', 'summary', 'kpi'] as const;
export type IocEvent = (typeof IOC_EVENTS)[number];

export const IocWebhookSchema = z.strictObject({
  /** Stable name: keys the webhook's delivery cursor and outbox rows, so never rename it. */
  name: Id,
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /**
   * The shared secret of the HMAC-SHA256 signature (header X-CanhXa-Signature). Never logged or
   * returned by the API. 32+ characters, e.g. `openssl rand -hex 32`.
   */
  secret: z.string().min(32, 'must be at least 32 characters (e.g. the output of "openssl rand -hex 32")'),
  events: z.array(z.enum(IOC_EVENTS)).min(1, 'name at least one event: state, summary, kpi'),
  /** Only these communes (ids); all communes of the deployment when absent. */
  communes: z.array(Id).min(1).optional(),
});

/** The provincial monitoring centre (IOC) feed: see docs/ioc.md. */
export const IocConfigSchema = z.strictObject({
  /** How often each webhook gets a `summary` event per commune. */
  summaryIntervalSec: z.number().int().min(1).max(86_400).default(300),
  /** The availability window of a summary (hours back from now). */
  summaryWindowHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 31)
    .default(24),
  /** First retry after a failed delivery; doubles per attempt up to retryMaxMs. Nothing is dropped. */
  retryBaseMs: z.number().int().min(10).max(600_000).default(2000),
  retryMaxMs: z.number().int().min(100).max(86_400_000).default(600_000),
  /** A receiver that does not answer in this time counts as a failed attempt. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  /** Delivered outbox rows are kept this long for inspection, then pruned; pending rows never are. */
  deliveredKeptHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(72),
  /**
   * The daily cut-off, HH:MM in Asia/Ho_Chi_Minh: provincial centres take the day's figures before
   * it, so each commune's KPIs (the day so far and each target's period so far) are computed then
   * and pushed as one `kpi` event. One missed while the service was down is sent at start.
   */
  kpiCutoff: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM, e.g. "17:00"')
    .default('17:00'),
  webhooks: z.array(IocWebhookSchema).default([]),
});

export type IocConfig = z.output<typeof IocConfigSchema>;
export type IocWebhookConfig = IocConfig['webhooks'][number];
