import { z } from 'zod';
import type { ApiKey } from '../../auth/api-keys.ts';
import { communeKpis, cutoffOn, latestCutoff } from '../../ioc/kpis.ts';
import {
  alertEntities,
  deviceEntities,
  kpiEntities,
  NGSI_LD_TYPES,
  type NgsiLdType,
} from '../../ioc/ngsi-ld.ts';
import {
  ChangesResponse,
  HealthResponse,
  KpisResponse,
  StatesResponse,
  SummariesResponse,
} from '../../ioc/schemas.ts';
import { communeSummary, deviceStates, iocCommunes, stateChanges } from '../../ioc/views.ts';
import { sumCounts } from '../../kpi/counts.ts';
import { fromMs, sumMs } from '../../kpi/uptime.ts';
import { uplinksReader } from '../../reports/sources.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { openApiDocument } from '../openapi.ts';
import { type RouteSpec, route } from '../route.ts';
import { sourcesOf } from './reports.ts';

/**
 * The provincial monitoring centre (IOC) feed, version 1: read-only, API keys only, never a camera
 * (docs/ioc.md). The version is in the path; within v1 fields are only added.
 */
const V1 = '/api/ioc/v1';
/** Farm sensors' uplinks for the farm-completeness KPIs, from the service's store. */
const uplinksOf = (deps: ApiDeps) => uplinksReader(sourcesOf(deps));
const CommuneParam = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
  .optional();

/** The communes a request covers: the key's (all when unrestricted), narrowed to `communeId`. */
function communesFor(deps: ApiDeps, key: ApiKey, communeId: string | undefined): string[] {
  const allowed = iocCommunes(deps, key.communes);
  if (communeId === undefined) return allowed;
  if (!deps.directory.communes.has(communeId))
    throw new CxError('CX_NOT_FOUND', `commune ${communeId} not found`);
  if (!allowed.includes(communeId))
    throw new CxError('CX_FORBIDDEN', `API key ${key.id} may not read commune ${communeId}`);
  return [communeId];
}

/** The cut-off of `day` (its figures counted up to now while it has not come), else the latest passed. */
function cutoffFor(deps: ApiDeps, day: string | undefined, now: number): number {
  const cutoff = deps.config.service.ioc.kpiCutoff;
  if (day === undefined) return latestCutoff(now, cutoff);
  const ts = cutoffOn(Date.parse(`${day}T12:00:00+07:00`), cutoff);
  if (Number.isNaN(ts)) throw new CxError('CX_BAD_REQUEST', `day ${day} is not a date`);
  return Math.min(ts, now);
}

export const iocRoutes: RouteSpec[] = [
  route({
    method: 'get',
    path: `${V1}/summaries`,
    access: { apiKeyScope: 'summaries' },
    tag: 'ioc',
    summary:
      'Per-commune summary: device counts by state and type now, availability over the window (cameras never included).',
    query: z.strictObject({
      windowHours: z.coerce
        .number()
        .int()
        .min(1)
        .max(24 * 31)
        .default(24),
      communeId: CommuneParam,
    }),
    response: SummariesResponse,
    handle({ deps, apiKey, query }) {
      const communes = communesFor(deps, apiKey!, query.communeId).map((id) =>
        communeSummary(deps, id, query.windowHours * 3_600_000),
      );
      const rollup = sumCounts(communes);
      return {
        v: 1 as const,
        generatedTs: deps.clock(),
        windowHours: query.windowHours,
        communes,
        rollup: {
          devices: communes.reduce((n, c) => n + c.devices, 0),
          ...rollup,
          availability: fromMs(sumMs(communes.map((c) => c.availability.ms))),
        },
      };
    },
  }),
  route({
    method: 'get',
    path: `${V1}/states`,
    access: { apiKeyScope: 'states' },
    tag: 'ioc',
    summary: 'Current state of every device in the feed (cameras never included).',
    query: z.strictObject({ communeId: CommuneParam, type: z.string().max(32).optional() }),
    response: StatesResponse,
    handle({ deps, apiKey, query }) {
      const devices = deviceStates(deps, communesFor(deps, apiKey!, query.communeId)).filter(
        (d) => !query.type || d.type === query.type,
      );
      return { v: 1 as const, generatedTs: deps.clock(), devices };
    },
  }),
  route({
    method: 'get',
    path: `${V1}/changes`,
    access: { apiKeyScope: 'states' },
    tag: 'ioc',
    summary:
      'State changes after a cursor, oldest first (cameras never included). Start with cursor=0; then pass nextCursor.',
    query: z.strictObject({
      cursor: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1000).default(500),
      communeId: CommuneParam,
    }),
    response: ChangesResponse,
    handle({ deps, apiKey, query }) {
      const communes = communesFor(deps, apiKey!, query.communeId);
      return { v: 1 as const, ...stateChanges(deps, { cursor: query.cursor, limit: query.limit, communes }) };
    },
  }),
  route({
    method: 'get',
    path: `${V1}/kpis`,
    access: { apiKeyScope: 'summaries' },
    tag: 'ioc',
    summary:
      "Each commune's KPIs against its targets at the daily cut-off (ioc.kpiCutoff, 17:00 Vietnam time by default): the day so far and the target's period so far, with status. Aggregates only (camera figures as one number). Default day: the latest cut-off passed; a later one counts up to now.",
    query: z.strictObject({
      communeId: CommuneParam,
      day: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/)
        .optional(),
    }),
    response: KpisResponse,
    async handle({ deps, apiKey, query }) {
      const now = deps.clock();
      const cutoffTs = cutoffFor(deps, query.day, now);
      const communes = await Promise.all(
        communesFor(deps, apiKey!, query.communeId).map((id) =>
          communeKpis(deps.directory.communes.get(id)!, deps.readModel, cutoffTs, uplinksOf(deps)),
        ),
      );
      return { v: 1 as const, generatedTs: now, communes };
    },
  }),
  route({
    method: 'get',
    path: `${V1}/ngsi-ld/entities`,
    access: { apiKeyScope: 'states' },
    tag: 'ioc',
    summary:
      'Devices, open alerts and KPIs as FIWARE Smart Data Models entities (NGSI-LD normalized, application/ld+json, @context by URL): type=Device | Alert | KeyPerformanceIndicator. Cameras never appear; camera KPIs are commune aggregates.',
    query: z.strictObject({
      type: z.enum(NGSI_LD_TYPES as [NgsiLdType, ...NgsiLdType[]]).default('Device'),
      communeId: CommuneParam,
    }),
    async handle({ deps, apiKey, query, res }) {
      const communes = communesFor(deps, apiKey!, query.communeId);
      const entities =
        query.type === 'Device'
          ? deviceEntities(deps, communes)
          : query.type === 'Alert'
            ? alertEntities(deps, communes)
            : kpiEntities(
                await Promise.all(
                  communes.map((id) =>
                    communeKpis(
                      deps.directory.communes.get(id)!,
                      deps.readModel,
                      cutoffFor(deps, undefined, deps.clock()),
                      uplinksOf(deps),
                    ),
                  ),
                ),
              );
      res.status(200).type('application/ld+json; charset=utf-8').send(JSON.stringify(entities));
      return res;
    },
  }),
  route({
    method: 'get',
    path: `${V1}/health`,
    access: { apiKeyScope: 'summaries' },
    tag: 'ioc',
    summary:
      'The feed itself: per webhook, events pending in the outbox, the oldest, failed attempts, last delivery.',
    response: HealthResponse,
    handle: ({ deps }) => ({
      v: 1 as const,
      status: 'ok' as const,
      generatedTs: deps.clock(),
      webhooks: deps.ioc?.stats() ?? [],
    }),
  }),
  route({
    method: 'get',
    path: `${V1}/openapi.json`,
    access: 'public',
    tag: 'ioc',
    summary: 'The OpenAPI 3.1 description of the IOC feed v1 alone.',
    handle: () => iocDocument(),
  }),
];

let doc: object | undefined;
function iocDocument(): object {
  doc ??= openApiDocument(iocRoutes, {
    title: 'Canh Xã IOC feed',
    version: '1.0.0',
    description:
      'Read API for a provincial monitoring centre (IOC): per-commune summaries, device states and state changes, KPIs against targets at the daily cut-off, and NGSI-LD Smart Data Models entities. Cameras never appear. Authorization: Bearer cxk_… (scopes summaries, states). See docs/ioc.md.',
  });
  return doc;
}
