import { join } from 'node:path';
import { z } from 'zod';
import type { User } from '../../auth/users.ts';
import { runKpis } from '../../kpi/evaluate.ts';
import { countedUpTo, periodContaining, previousPeriod } from '../../kpi/periods.ts';
import { ReportArchive } from '../../reports/archive.ts';
import { reportFormats } from '../../reports/formats/registry.ts';
import { parsePeriodKey, periodKey } from '../../reports/period-key.ts';
import { computeReport, produceReport, verifyFile } from '../../reports/produce.ts';
import { redactSensitive } from '../../reports/report.ts';
import { kpiUplinks, type ReportSourceDeps, reportSources } from '../../reports/sources.ts';
import { trendCacheOf } from '../../reports/trend-cache.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { type ExampleContext, route } from '../route.ts';
import { communesOf, inScope } from '../visibility.ts';
import { evidenceLink } from './kpi-evidence.ts';

const archiveOf = (deps: ApiDeps) => new ReportArchive(join(deps.config.paths.dataDir, 'reports'));
/** The report inputs besides the intervals, from the service's store and database. */
export const sourcesOf = (deps: ApiDeps): ReportSourceDeps => ({
  store: deps.store,
  rawDays: deps.config.service.retention.rawDays,
  clock: deps.clock,
  trendCache: trendCacheOf(deps.db),
});

function communeFor(deps: ApiDeps, user: User, id: string) {
  const c = deps.directory.communes.get(id);
  if (!c) throw new CxError('CX_NOT_FOUND', `commune ${id} not found`);
  if (!inScope(user, id)) throw new CxError('CX_FORBIDDEN', `user may not see commune ${id}`);
  return c;
}

function periodFor(key: string, where: 'path' | 'query') {
  const p = parsePeriodKey(key);
  // In a path a bad period names nothing (404); in a query it is a bad field (400).
  if (!p && where === 'path') throw new CxError('CX_NOT_FOUND', `no period ${key}`);
  if (!p)
    throw new CxError('CX_BAD_REQUEST', `bad period ${key}`, {
      fields: { period: 'validation.invalid_format' },
    });
  return p;
}

const exampleParams = (ctx: ExampleContext) => ({
  communeId: ctx.communeId ?? [...ctx.deps.directory.communes.keys()][0]!,
  period: periodKey('month', previousPeriod('month', ctx.deps.clock()).fromTs),
});

/**
 * The newest archived report of the commune for exactly this period in this format; made now
 * (counted up to now, archived) when there is none, so a leader can always download one.
 */
async function reportFile(deps: ApiDeps, user: User, communeId: string, key: string, format: string) {
  const c = communeFor(deps, user, communeId);
  const p = periodFor(key, 'path');
  const fmt = reportFormats.get(format);
  if (!fmt)
    throw new CxError('CX_BAD_REQUEST', `bad format ${format}`, {
      fields: { format: 'validation.invalid_value' },
    });
  const archive = archiveOf(deps);
  const found = archive
    .list([communeId])
    .find((r) => r.fromTs === p.fromTs && r.toTs === p.toTs && r.format === format);
  if (found) return { card: found, bytes: archive.read(found), fmt };
  const nowTs = Math.max(Math.min(deps.clock(), p.toTs), p.fromTs + 1);
  const doc = computeReport(
    c,
    deps.readModel,
    p,
    nowTs,
    { scheduleId: null, dueDate: null },
    await reportSources(sourcesOf(deps), c, p, nowTs),
  );
  const [card] = await produceReport({ archive, clock: deps.clock }, doc, [format]);
  return { card: card!, bytes: archive.read(card!), fmt };
}

const FormatQuery = z.strictObject({ format: z.enum(['pdf', 'xlsx', 'csv']).default('pdf') });

export const reportRoutes = [
  route({
    method: 'get',
    path: '/api/kpis',
    access: ['leader', 'admin', 'province'],
    tag: 'kpi',
    summary:
      "Each commune's KPIs against its targets over a period (default: this month so far), with status, the counts behind each figure and the accounting rules. Camera figures are aggregates only; the province gets no breakdown rows at all.",
    query: z.strictObject({ period: z.string().optional(), commune: z.string().optional() }),
    async handle({ deps, user, query }) {
      const now = deps.clock();
      const ids = communesOf(deps, user!).filter((id) => query.commune === undefined || id === query.commune);
      const out = [];
      for (const id of ids) {
        const c = deps.directory.communes.get(id)!;
        const period = query.period ? periodFor(query.period, 'query') : periodContaining('month', now);
        // A period still running is counted up to now; status then says whether it can still be met.
        const nowTs = countedUpTo(period, now);
        const p = { fromTs: period.fromTs, toTs: period.toTs };
        const run = runKpis(c, deps.readModel, p, nowTs, await kpiUplinks(sourcesOf(deps), c, p, nowTs));
        const key = query.period ?? periodKey('month', period.fromTs);
        const figures = run.figures.map((f) => {
          const r = redactSensitive(c, f);
          if (user!.role === 'province') return { ...r, rows: [] };
          // Leaders and admins can ask why: the intervals and events behind the figure.
          return { ...r, evidence: evidenceLink(f.targetId, id, key) };
        });
        out.push({ communeId: id, fromTs: period.fromTs, toTs: period.toTs, nowTs: run.nowTs, figures });
      }
      return out;
    },
  }),
  route({
    method: 'get',
    path: '/api/reports',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      'Archived reports of the caller’s commune, newest period first: format, period, due date, content hash.',
    handle({ deps, user }) {
      return archiveOf(deps).list(communesOf(deps, user!));
    },
  }),
  route({
    method: 'post',
    path: '/api/reports',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      'Makes and archives a report on demand for any period [fromTs, toTs) (counted up to now), in the formats asked.',
    body: z.strictObject({
      communeId: z.string(),
      fromTs: z.number().int().min(0),
      toTs: z.number().int().min(1),
      formats: z
        .array(z.enum(['pdf', 'xlsx', 'csv']))
        .min(1)
        .default(['pdf']),
    }),
    examples: {
      body: {
        communeId: 'ta-lai',
        fromTs: Date.parse('2026-01-01T00:00:00+07:00'),
        toTs: Date.parse('2026-01-02T00:00:00+07:00'),
        formats: ['csv'],
      },
    },
    async handle({ deps, user, body }) {
      // The walk's example names Tà Lài; a caller of another commune gets its own.
      const id = user!.communeId ?? body.communeId;
      const c = communeFor(deps, user!, id);
      if (!(body.fromTs < body.toTs))
        throw new CxError('CX_BAD_REQUEST', 'fromTs must be before toTs', {
          fields: { fromTs: 'validation.too_small' },
        });
      const period = { fromTs: body.fromTs, toTs: body.toTs };
      const nowTs = Math.max(Math.min(deps.clock(), body.toTs), body.fromTs + 1);
      const doc = computeReport(
        c,
        deps.readModel,
        period,
        nowTs,
        { scheduleId: null, dueDate: null },
        await reportSources(sourcesOf(deps), c, period, nowTs),
      );
      return produceReport({ archive: archiveOf(deps), clock: deps.clock }, doc, body.formats);
    },
  }),
  route({
    method: 'get',
    path: '/api/reports/:communeId/:period',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      'Downloads the report of a period (2026-03, 2026-q1, 2026) as pdf, xlsx or csv: the archived one, else made now.',
    query: FormatQuery,
    examples: { params: exampleParams },
    async handle({ deps, user, params, query, res }) {
      const { card, bytes, fmt } = await reportFile(
        deps,
        user!,
        params.communeId!,
        params.period!,
        query.format,
      );
      res.status(200).type(fmt.contentType).attachment(card.file).send(bytes);
      return res;
    },
  }),
  route({
    method: 'get',
    path: '/api/reports/:communeId/:period/verify',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      "Recomputes the period's archived report from the store: same figures and hash, or exactly which figure differs, and the devices whose evidence changed since (late data).",
    query: FormatQuery,
    examples: { params: exampleParams },
    async handle({ deps, user, params, query }) {
      const { card, bytes } = await reportFile(deps, user!, params.communeId!, params.period!, query.format);
      const v = await verifyFile(
        bytes,
        card.format,
        deps.directory.communes,
        deps.readModel,
        sourcesOf(deps),
      );
      return { file: card.file, ...v };
    },
  }),
];
