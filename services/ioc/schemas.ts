import { z } from 'zod';
import { STATES } from '../availability/states.ts';

/**
 * Response shapes of the IOC feed, v1, for its OpenAPI document (GET /api/ioc/v1/openapi.json)
 * and docs/ioc.md. Within v1 fields are only ever added; a consumer must ignore fields it does
 * not know. Removing or changing a field makes /api/ioc/v2.
 */
const State = z.enum(STATES).describe('up | degraded | down | unreachable | maintenance | unknown');
const Counts = z.record(State, z.number().int()).describe('Devices per state');
const Ms = z.object({
  available: z.number().describe('ms up or degraded'),
  unavailable: z.number().describe('ms down or unreachable'),
  maintenance: z.number().describe('ms in maintenance (not in the denominator)'),
  unknown: z.number().describe('ms the service could not judge (not in the denominator)'),
});
const Uptime = z.object({
  availablePct: z
    .number()
    .nullable()
    .describe('100 × available / (available + unavailable); null when nothing was judged'),
  unknownPct: z.number().nullable().describe('100 × unknown / (available + unavailable + unknown)'),
  ms: Ms,
});

export const CommuneSummarySchema = z.object({
  communeId: z.string(),
  name: z.string(),
  province: z.string(),
  devices: z.number().int().describe('Devices in the feed (cameras are never counted)'),
  counts: Counts,
  byType: z.record(z.string(), Counts),
  availability: Uptime.extend({
    fromTs: z.number().int().describe('Window start, epoch ms'),
    toTs: z.number().int().describe('Window end (now), epoch ms'),
    byType: z.record(z.string(), Uptime),
  }),
});

export const SummariesResponse = z.object({
  v: z.literal(1),
  generatedTs: z.number().int(),
  windowHours: z.number().int(),
  communes: z.array(CommuneSummarySchema),
  rollup: z.object({
    devices: z.number().int(),
    counts: Counts,
    byType: z.record(z.string(), Counts),
    availability: Uptime,
  }),
});

export const DeviceStateSchema = z.object({
  deviceId: z.string(),
  communeId: z.string(),
  type: z.string().describe('loudspeaker | wifi-ap | uplink | soil-sensor | gateway (never camera)'),
  name: z.string(),
  hamletId: z.string(),
  siteId: z.string(),
  location: z.object({ lat: z.number(), lon: z.number() }),
  state: State,
  reason: z.string().describe('Reason code; Vietnamese/English text in the catalogue as reason.<code>'),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  sinceTs: z.number().int().nullable(),
  lastHeardTs: z.number().int().nullable(),
});

export const StatesResponse = z.object({
  v: z.literal(1),
  generatedTs: z.number().int(),
  devices: z.array(DeviceStateSchema),
});

export const StateChangeSchema = z.object({
  seq: z.number().int().describe('Strictly increasing position in the feed'),
  deviceId: z.string(),
  communeId: z.string(),
  type: z.string(),
  from: State.nullable(),
  state: State,
  reason: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
  ts: z.number().int().describe('When the new state began, epoch ms'),
});

export const ChangesResponse = z.object({
  v: z.literal(1),
  changes: z.array(StateChangeSchema),
  nextCursor: z.number().int().describe('Pass as ?cursor= next time'),
  hasMore: z.boolean().describe('True: call again at once with nextCursor'),
});

export const HealthResponse = z.object({
  v: z.literal(1),
  status: z.literal('ok'),
  generatedTs: z.number().int(),
  webhooks: z.array(
    z.object({
      name: z.string(),
      events: z.array(z.string()),
      pending: z.number().int().describe('Events waiting for the receiver'),
      oldestPendingTs: z.number().int().nullable(),
      pendingAttempts: z.number().int(),
      deliveredKept: z.number().int(),
      lastDeliveredTs: z.number().int().nullable(),
      lastError: z.string().nullable(),
      failedAttempts: z.number().int().describe('Failed attempts since the service started'),
    }),
  ),
});

const KpiValue = z.object({
  fromTs: z.number().int(),
  toTs: z.number().int().describe('Counted up to here: the cut-off, or the period end'),
  value: z.number().nullable().describe('In the unit; null when nothing could be judged'),
  status: z.enum(['on-track', 'at-risk', 'missed', 'no-data']),
});

export const CommuneKpisSchema = z.object({
  communeId: z.string(),
  name: z.string(),
  province: z.string(),
  day: z.string().describe('Local day (Asia/Ho_Chi_Minh), YYYY-MM-DD'),
  cutoffTs: z.number().int().describe('The daily cut-off the figures were taken at, epoch ms'),
  kpis: z.array(
    z.object({
      targetId: z.string(),
      name: z.string(),
      indicator: z.string().describe('uptime | hamlet-coverage | site-coverage | camera-untampered | …'),
      unit: z.enum(['pct', 'count', 'minutes', 'hours']),
      better: z.enum(['higher', 'lower']),
      target: z.number(),
      planRef: z.string().nullable(),
      period: z.enum(['month', 'quarter', 'year']),
      day: KpiValue.describe('The local day up to the cut-off'),
      periodSoFar: KpiValue.describe("The target's period (month, quarter, year) up to the cut-off"),
    }),
  ),
});

export const KpisResponse = z.object({
  v: z.literal(1),
  generatedTs: z.number().int(),
  communes: z.array(CommuneKpisSchema),
});
