import { z } from 'zod';
import { isReasonCode, REASONS, type Reason, WIRE_REASON_CODES } from './reasons.ts';
import { STATUS_STATES } from './verdicts.ts';

/**
 * Payload schemas, version 1. Each document carries `v` so a device on old firmware is refused
 * with a clear reason instead of being misread. `ts` is the device's clock (epoch ms UTC); when
 * absent the receive time stands in, and both are kept.
 */
const Ts = z.number().int().min(946_684_800_000).max(4_102_444_800_000).optional();
const MetricName = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9]{0,47}$/, 'metric names are camelCase with a unit (soilMoisturePct)');

export const HeartbeatV1 = z.strictObject({
  v: z.literal(1),
  ts: Ts,
  seq: z.number().int().min(0).optional(),
  uptimeSec: z.number().min(0).optional(),
  rssiDbm: z.number().min(-150).max(0).optional(),
  fw: z.string().max(64).optional(),
});

export const TelemetryV1 = z.strictObject({
  v: z.literal(1),
  ts: Ts,
  metrics: z
    .record(MetricName, z.number().finite())
    .refine((m) => Object.keys(m).length > 0 && Object.keys(m).length <= 64, {
      message: 'between 1 and 64 metrics',
    }),
});

export const EventV1 = z.strictObject({
  v: z.literal(1),
  ts: Ts,
  type: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/),
  severity: z.enum(['info', 'warning', 'critical']).default('info'),
  detail: z.record(z.string(), z.union([z.string().max(512), z.number(), z.boolean()])).optional(),
});

const ParamValue = z.union([z.string().max(200), z.number().finite()]);

/** A reason from the catalogue (reasons.ts) with exactly the params its text names. */
export const ReasonV1 = z
  .strictObject({
    code: z.enum(WIRE_REASON_CODES),
    params: z.record(z.string(), ParamValue).default({}),
  })
  .superRefine((r, ctx) => {
    const want = [...REASONS[r.code].params].sort().join();
    const got = Object.keys(r.params).sort().join();
    if (want !== got)
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: `reason "${r.code}" takes params {${want}}, got {${got}}`,
      });
  });

/**
 * Gateways deployed before reason codes send a free-text `reason`; it is still read, so they keep
 * working: a string naming a parameterless wire code (`"last-will"`, what every device's will
 * says) is that code, any other string is kept as the param of `gateway-text`.
 */
function legacyReason(text: string): Reason {
  if (isReasonCode(text) && REASONS[text].wire && REASONS[text].params.length === 0)
    return { code: text, params: {} };
  return { code: 'gateway-text', params: { text } };
}

/**
 * Status: `offline` is what last wills say; `online` is what a device says when it connects; an
 * adapter or gateway reports a verdict (up / degraded / down / unknown) on a device it watches,
 * with a reason `{ code, params }` from the catalogue.
 */
export const StatusV1 = z.strictObject({
  v: z.literal(1),
  ts: Ts,
  state: z.enum(STATUS_STATES),
  reason: z.union([ReasonV1, z.string().max(200).transform(legacyReason)]).optional(),
});

export type Heartbeat = z.output<typeof HeartbeatV1>;
export type Telemetry = z.output<typeof TelemetryV1>;
export type DeviceEvent = z.output<typeof EventV1>;
export type Status = z.output<typeof StatusV1>;

export const PAYLOAD_SCHEMAS = {
  heartbeat: HeartbeatV1,
  telemetry: TelemetryV1,
  event: EventV1,
  status: StatusV1,
} as const;
