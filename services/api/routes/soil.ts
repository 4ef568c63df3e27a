import { z } from 'zod';
import { CxError } from '../../shared/errors.ts';
import { renderCsv, renderXlsx, rowsOf } from '../../soil/export.ts';
import { plotsOf, plotsView } from '../../soil/plots.ts';
import { clearThresholdOverride, setThresholdOverride } from '../../soil/thresholds.ts';
import { type ExampleContext, route } from '../route.ts';
import { communesOf } from '../visibility.ts';

const DAY_MS = 86_400_000;
const VN_OFFSET_MS = 7 * 3_600_000;
/** The farm pilot is the economics office's (issue #13); the admin runs the service. */
const ACCESS = ['economics', 'admin'] as const;
/** A crop season, about: longer exports are split by the caller. */
const MAX_EXPORT_DAYS = 200;

const LocalDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day as YYYY-MM-DD');

/** Local (Asia/Ho_Chi_Minh) midnight of a YYYY-MM-DD day, epoch ms; NaN for a day that does not exist. */
function localMidnight(day: string): number {
  const ms = Date.parse(`${day}T00:00:00Z`);
  return new Date(ms).toISOString().slice(0, 10) === day ? ms - VN_OFFSET_MS : Number.NaN;
}

const ExportQuery = z.strictObject({
  format: z.enum(['csv', 'xlsx']).default('csv'),
  /** A plot's farm site id; the whole pilot without it. */
  plot: z.string().max(64).optional(),
  /** First and last local day, inclusive; default the last 7 days up to today. */
  from: LocalDay.optional(),
  to: LocalDay.optional(),
});

const MoisturePct = z.number().min(0).max(100);
/**
 * A plot's moisture bounds set by the economics office: too dry below `dryBelowPct`, too wet above
 * `wetAbovePct` (null: no too-wet bound); or `{ fromFile: true }` to go back to the commune file's.
 * One object with optional fields rather than a union, so a refusal names the field at fault.
 */
const ThresholdsBody = z.strictObject({
  dryBelowPct: MoisturePct.optional(),
  wetAbovePct: MoisturePct.nullable().optional(),
  fromFile: z.literal(true).optional(),
});

/** Example param: a plot of the caller's commune (any commune's for a call without one). */
function examplePlot(ctx: ExampleContext): { site: string } {
  const communes = ctx.communeId === null ? [...ctx.deps.directory.communes.keys()] : [ctx.communeId];
  const plot = plotsOf(ctx.deps, communes)[0];
  if (!plot) throw new Error(`no farm plot in ${ctx.communeId ?? 'any commune'}`);
  return { site: plot.siteId };
}

const CONTENT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

export const soilRoutes = [
  route({
    method: 'get',
    path: '/api/soil/plots',
    access: ACCESS,
    tag: 'soil',
    summary:
      "The economics office's farm pilot: each plot with its crop, moisture bounds and verdict (too dry, too wet), the farm household's name and phone (economics only), and its soil sensors' latest readings, battery trend (days until empty), LoRaWAN link health and daily completeness; driest first.",
    async handle({ deps, user }) {
      // The farm household's name and phone are the economics office's to see, not the admin's.
      return { plots: await plotsView(deps, communesOf(deps, user!), user!.role === 'economics') };
    },
  }),
  route({
    method: 'put',
    path: '/api/soil/plots/:site/thresholds',
    access: ACCESS,
    tag: 'soil',
    summary:
      "Sets a plot's moisture bounds (too dry below dryBelowPct, too wet above wetAbovePct, %; null: no too-wet bound) over the commune file's, or { fromFile: true } goes back to them. The plot's mark and the plot-dry / plot-wet alert rules follow; audit-logged.",
    body: ThresholdsBody,
    examples: { params: examplePlot, body: { dryBelowPct: 20, wetAbovePct: 45 } },
    handle({ deps, user, params, body }) {
      const plot = plotsOf(deps, communesOf(deps, user!)).find((p) => p.siteId === params.site);
      if (!plot) throw new CxError('CX_NOT_FOUND', `plot ${params.site} not found`);
      const now = deps.clock();
      const before = { dryBelowPct: plot.dryBelowPct, wetAbovePct: plot.wetAbovePct };
      if (body.fromFile) {
        if (body.dryBelowPct !== undefined || body.wetAbovePct !== undefined)
          throw new CxError('CX_BAD_REQUEST', 'fromFile takes no bounds', {
            fields: { fromFile: 'validation.soilFromFileAlone' },
          });
        clearThresholdOverride(deps.db, plot.communeId, plot.siteId);
        deps.audit.record(user!, 'soil-thresholds-reset', plot.siteId, now, { before }, plot.communeId);
      } else {
        const { dryBelowPct } = body;
        const wetAbovePct = body.wetAbovePct ?? null;
        if (dryBelowPct === undefined)
          throw new CxError('CX_BAD_REQUEST', 'dryBelowPct missing', {
            fields: { dryBelowPct: 'validation.soilDryRequired' },
          });
        if (wetAbovePct !== null && wetAbovePct <= dryBelowPct)
          throw new CxError('CX_BAD_REQUEST', 'wetAbovePct not above dryBelowPct', {
            fields: { wetAbovePct: 'validation.soilWetAboveDry' },
            params: { dry: dryBelowPct },
          });
        setThresholdOverride(deps.db, {
          communeId: plot.communeId,
          siteId: plot.siteId,
          dryBelowPct,
          wetAbovePct,
          setBy: user!.username,
          setTs: now,
        });
        const after = { dryBelowPct, wetAbovePct };
        deps.audit.record(user!, 'soil-thresholds', plot.siteId, now, { before, after }, plot.communeId);
      }
      const updated = plotsOf(deps, [plot.communeId]).find((p) => p.siteId === plot.siteId)!;
      const { sensors: _sensors, household, ...ref } = updated;
      return { plot: { ...ref, household: user!.role === 'economics' ? household : null } };
    },
  }),
  route({
    method: 'get',
    path: '/api/soil/export',
    access: ACCESS,
    tag: 'soil',
    summary:
      'Soil readings of one plot (plot=site id) or the whole pilot over local days from–to (YYYY-MM-DD, inclusive; default the last 7): CSV (UTF-8 with BOM, ; and decimal commas) or XLSX (a sheet per plot).',
    query: ExportQuery,
    async handle({ deps, user, query, res }) {
      const today = new Date(deps.clock() + VN_OFFSET_MS).toISOString().slice(0, 10);
      const lastDay = query.to ?? today;
      const toTs = localMidnight(lastDay) + DAY_MS;
      const fromTs = query.from ? localMidnight(query.from) : toTs - 7 * DAY_MS;
      if (!(fromTs < toTs) || toTs - fromTs > MAX_EXPORT_DAYS * DAY_MS)
        throw new CxError(
          'CX_BAD_REQUEST',
          `from must be a real day before to, at most ${MAX_EXPORT_DAYS} days`,
          {
            fields: { from: 'validation.too_small' },
          },
        );
      const all = plotsOf(deps, communesOf(deps, user!));
      const plots = query.plot === undefined ? all : all.filter((p) => p.siteId === query.plot);
      if (query.plot !== undefined && plots.length === 0)
        throw new CxError('CX_NOT_FOUND', `plot ${query.plot} not found`);
      const data = await rowsOf(deps.store, plots, fromTs, toTs);
      const body = query.format === 'csv' ? renderCsv(data) : await renderXlsx(data);
      const first = new Date(fromTs + VN_OFFSET_MS).toISOString().slice(0, 10);
      const name = `do-am-dat_${query.plot ?? 'thi-diem'}_${first}_${lastDay}.${query.format}`;
      res.setHeader('Content-Type', CONTENT_TYPES[query.format]);
      res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
      res.send(body);
      return res;
    },
  }),
];
