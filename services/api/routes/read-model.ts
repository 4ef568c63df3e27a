import { once } from 'node:events';
import type { Response } from 'express';
import { z } from 'zod';
import type { User } from '../../auth/users.ts';
import type { Period, Span } from '../../read-model/read-model.ts';
import { devicesInScope, SCOPES } from '../../read-model/scope.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { exampleDevice } from '../examples.ts';
import { route } from '../route.ts';
import { deviceFor, inScope, visibleDevices } from '../visibility.ts';

const DAY_MS = 86_400_000;
/** Spans per write: small enough to stream, large enough not to write per span. */
const CHUNK = 500;

/** [from, to) in epoch ms; default the 7 days up to now. */
const PeriodQuery = z.strictObject({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
});
const fromBeforeTo = (q: { from?: number | undefined; to?: number | undefined }) =>
  q.from === undefined || q.to === undefined || q.from < q.to;
const FROM_BEFORE_TO = { message: 'from must be before to', path: ['from'] };

function periodOf(deps: ApiDeps, q: { from?: number | undefined; to?: number | undefined }): Period {
  const toTs = q.to ?? deps.clock();
  const fromTs = q.from ?? toTs - 7 * DAY_MS;
  if (!(fromTs < toTs))
    throw new CxError('CX_BAD_REQUEST', 'from must be before to', {
      fields: { from: 'validation.too_small' },
    });
  return { fromTs, toTs };
}

/**
 * Writes spans as one JSON array, a chunk at a time, waiting when the client reads slowly: a
 * flapping device's year is complete without being held in memory whole.
 */
async function sendSpans(res: Response, spans: Iterable<Span>): Promise<Response> {
  res.status(200).type('application/json');
  let first = true;
  let chunk: string[] = [];
  const flush = async () => {
    const body = chunk.join(',');
    chunk = [];
    // A client gone mid-read never drains: stop reading then, rather than wait for ever.
    if (!res.write(first ? `[${body}` : `,${body}`))
      await Promise.race([once(res, 'drain'), once(res, 'close')]);
    first = false;
  };
  for (const s of spans) {
    chunk.push(JSON.stringify(s));
    if (chunk.length >= CHUNK) await flush();
    if (res.destroyed) return res;
  }
  if (chunk.length > 0) await flush();
  res.end(first ? '[]' : ']');
  return res;
}

/** The devices of a scope this user may see; 404 for a scope no commune has, 403 for one outside theirs. */
function scopeDevices(deps: ApiDeps, user: User, scope: (typeof SCOPES)[number], id: string | undefined) {
  if (id === undefined) {
    if (scope !== 'commune')
      throw new CxError('CX_BAD_REQUEST', `scope ${scope} needs an id`, {
        fields: { id: 'validation.invalid_type' },
      });
    // No id: every commune the user sees.
    return visibleDevices(deps, user);
  }
  const inScopeDevices = devicesInScope(deps.directory, { kind: scope, id });
  if (!inScopeDevices) throw new CxError('CX_NOT_FOUND', `${scope} ${id} not found`);
  const communes = scope === 'commune' ? [id] : [...new Set(inScopeDevices.map((d) => d.communeId))];
  if (communes.length > 0 && !communes.some((c) => inScope(user, c)))
    throw new CxError('CX_FORBIDDEN', `${scope} ${id} is outside the communes of ${user.username}`);
  const visible = new Set(visibleDevices(deps, user).map((d) => d.id));
  return inScopeDevices.filter((d) => visible.has(d.id));
}

/**
 * Reads of the read model (services/read-model/): complete state spans and device events. A role
 * sees only the devices its role may see, as on the device routes; camera reads are audited.
 */
export const readModelRoutes = [
  route({
    method: 'get',
    path: '/api/devices/:id/intervals',
    examples: { params: exampleDevice },
    access: 'signed-in',
    tag: 'devices',
    summary:
      'Every state interval of one device overlapping [from, to) (epoch ms; default the last 7 days), clipped to it, oldest first, with reason codes; an open interval ends now.',
    query: PeriodQuery.refine(fromBeforeTo, FROM_BEFORE_TO),
    handle({ deps, user, params, query, res }) {
      const d = deviceFor(deps, user!, params.id!);
      return sendSpans(res, deps.readModel.spans([d.id], periodOf(deps, query)));
    },
  }),
  route({
    method: 'get',
    path: '/api/devices/:id/events',
    examples: { params: exampleDevice },
    access: 'signed-in',
    tag: 'devices',
    summary:
      'Events one device reported with ts in [from, to) (epoch ms; default the last 7 days), oldest first, at most `limit` (default 1000).',
    query: PeriodQuery.extend({ limit: z.coerce.number().int().min(1).max(10_000).default(1000) }).refine(
      fromBeforeTo,
      FROM_BEFORE_TO,
    ),
    handle({ deps, user, params, query }) {
      const d = deviceFor(deps, user!, params.id!);
      return deps.readModel.events([d.id], periodOf(deps, query), query.limit);
    },
  }),
  route({
    method: 'get',
    path: '/api/intervals',
    access: 'signed-in',
    tag: 'devices',
    summary:
      'State intervals of the devices you may see in a device, site, hamlet or commune (default: your communes) over [from, to), clipped, oldest first.',
    query: PeriodQuery.extend({
      scope: z.enum(SCOPES).default('commune'),
      id: z.string().min(1).max(64).optional(),
    }).refine(fromBeforeTo, FROM_BEFORE_TO),
    handle({ deps, user, query, res }) {
      const devices = scopeDevices(deps, user!, query.scope, query.id);
      const period = periodOf(deps, query);
      if (devices.some((d) => d.type.sensitive))
        deps.audit.record(user!, 'read-intervals', `${query.scope}:${query.id ?? '*'}`, deps.clock());
      return sendSpans(
        res,
        deps.readModel.spans(
          devices.map((d) => d.id),
          period,
        ),
      );
    },
  }),
];
