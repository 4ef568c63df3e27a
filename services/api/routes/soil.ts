import { z } from 'zod';
import { CxError } from '../../shared/errors.ts';
import { renderCsv, renderXlsx, rowsOf } from '../../soil/export.ts';
import { plotsOf, plotsView } from '../../soil/plots.ts';
import { route } from '../route.ts';
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
      "The economics office's farm pilot: each plot with its crop, moisture bounds and verdict (too dry, too wet), and its soil sensors' latest readings, battery trend (days until empty), LoRaWAN link health and daily completeness; driest first.",
    async handle({ deps, user }) {
      return { plots: await plotsView(deps, communesOf(deps, user!)) };
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
