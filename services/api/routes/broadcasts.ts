import { z } from 'zod';
import { broadcastResults, hamletSpeakers } from '../../broadcasts/results.ts';
import { loudspeaker } from '../../device-types/loudspeaker.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { type ExampleContext, route } from '../route.ts';
import { communesOf, inScope } from '../visibility.ts';

const DAY_MS = 86_400_000;
/** The loudspeakers' audience (technician, leader, admin, province): who hears of bulletins. */
const ACCESS = loudspeaker.audience;

/** [from, to) in epoch ms; default the 7 days up to now; at most 92 days (a quarter) per call. */
const PeriodQuery = z
  .strictObject({
    from: z.coerce.number().int().min(0).optional(),
    to: z.coerce.number().int().min(0).optional(),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  });

function periodOf(deps: ApiDeps, q: { from?: number | undefined; to?: number | undefined }) {
  const toTs = q.to ?? deps.clock();
  const fromTs = q.from ?? toTs - 7 * DAY_MS;
  if (!(fromTs < toTs) || toTs - fromTs > 92 * DAY_MS)
    throw new CxError('CX_BAD_REQUEST', 'from must be before to, at most 92 days apart', {
      fields: { from: 'validation.too_small' },
    });
  return { fromTs, toTs };
}

/** The hamlet's commune, if a commune of the deployment has it. */
function communeOfHamlet(deps: ApiDeps, hamletId: string): string | undefined {
  for (const [id, c] of deps.directory.communes) if (c.hamlets.some((h) => h.id === hamletId)) return id;
  return undefined;
}

/** Example param: a hamlet with loudspeakers in the caller's commune (any commune for province). */
function exampleHamlet(ctx: ExampleContext): { id: string } {
  for (const [communeId] of ctx.deps.directory.communes) {
    if (ctx.communeId !== null && ctx.communeId !== communeId) continue;
    const h = hamletSpeakers(ctx.deps.directory, communeId).find((x) => x.speakers.length > 0);
    if (h) return { id: h.hamletId };
  }
  throw new Error(`no hamlet with loudspeakers in ${ctx.communeId ?? 'any commune'}`);
}

/**
 * "Did the 06:00 bulletin play in every hamlet?" (issue #11, item 5): per scheduled broadcast of the
 * commune file, each hamlet with loudspeakers played it or missed it, and why (services/broadcasts/).
 */
export const broadcastRoutes = [
  route({
    method: 'get',
    path: '/api/broadcasts',
    access: ACCESS,
    tag: 'broadcasts',
    summary:
      'Scheduled bulletins that started in [from, to) (epoch ms; default the last 7 days) in your communes, newest first, each with every hamlet that has loudspeakers: played, missed (cause and reason) or pending.',
    query: PeriodQuery,
    handle({ deps, user, query }) {
      return broadcastResults(deps, communesOf(deps, user!), periodOf(deps, query));
    },
  }),
  route({
    method: 'get',
    path: '/api/hamlets/:id/broadcasts',
    access: ACCESS,
    tag: 'broadcasts',
    examples: { params: exampleHamlet },
    summary:
      "One hamlet's bulletin history over [from, to) (default the last 7 days), newest first: each occurrence with this hamlet's result only.",
    query: PeriodQuery,
    handle({ deps, user, params, query }) {
      const hamletId = params.id!;
      const communeId = communeOfHamlet(deps, hamletId);
      if (!communeId) throw new CxError('CX_NOT_FOUND', `hamlet ${hamletId} not found`);
      if (!inScope(user!, communeId))
        throw new CxError('CX_FORBIDDEN', `hamlet ${hamletId} is outside the communes of ${user!.username}`);
      return broadcastResults(deps, [communeId], periodOf(deps, query), hamletId);
    },
  }),
];
