import { z } from 'zod';
import { readKpiInput } from '../../kpi/evaluate.ts';
import { indicators } from '../../kpi/indicators/registry.ts';
import { countedUpTo, localDate, localMidnight } from '../../kpi/periods.ts';
import { evaluateTargets } from '../../kpi/targets.ts';
import { periodKey } from '../../reports/period-key.ts';
import { uplinksReader } from '../../reports/sources.ts';
import { CxError } from '../../shared/errors.ts';
import { uplinksIn } from '../../soil/uplinks.ts';
import { route } from '../route.ts';
import { communesOf } from '../visibility.ts';
import { CONTRACTORS_KPI, evidenceLink, queryPeriod } from './kpi-evidence.ts';
import { sourcesOf } from './reports.ts';

const CommuneQuery = z.strictObject({ commune: z.string().optional(), period: z.string().optional() });

/**
 * The leaders' page reads these beside /api/kpis: each target month by month (the trend chart) and
 * the contractors' table. Figures are counted as /api/kpis counts them, a month still running up
 * to now; every value carries its evidence link.
 */
export const kpiTrendRoutes = [
  route({
    method: 'get',
    path: '/api/kpis/trend',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      "Each target of the caller's commune month by month over the last `months` months (default 12, this month so far included), with status and the evidence link of each value.",
    query: z.strictObject({
      commune: z.string().optional(),
      months: z.coerce.number().int().min(1).max(24).default(12),
    }),
    async handle({ deps, user, query }) {
      const now = deps.clock();
      const today = localDate(now);
      const uplinksOf = uplinksReader(sourcesOf(deps));
      const months = Array.from({ length: query.months }, (_, i) => {
        const fromTs = localMidnight(today.year, today.month - (query.months - 1 - i));
        return {
          key: periodKey('month', fromTs),
          fromTs,
          toTs: localMidnight(today.year, today.month - (query.months - 2 - i)),
        };
      });
      const ids = communesOf(deps, user!).filter((id) => query.commune === undefined || id === query.commune);
      return Promise.all(
        ids.map(async (id) => {
          const c = deps.directory.communes.get(id)!;
          const perMonth: Array<ReturnType<typeof evaluateTargets>> = [];
          // The farm sensors' uplinks read once for all the months (their edges are whole hours).
          const all = await uplinksOf(c, { fromTs: months[0]!.fromTs, toTs: months.at(-1)!.toTs }, now);
          for (const m of months) {
            const nowTs = countedUpTo(m, now);
            const { input } = readKpiInput(c, deps.readModel, m, nowTs, {
              uplinks: uplinksIn(all, m),
              hash: false,
            });
            perMonth.push(evaluateTargets(c.kpiTargets, input, c.kpi?.atRiskMargin ?? 1));
          }
          return {
            communeId: id,
            months: months.map((m) => ({ period: m.key, fromTs: m.fromTs, toTs: m.toTs })),
            series: c.kpiTargets.map((t, k) => ({
              targetId: t.id,
              name: t.name,
              unit: indicators.get(t.indicator)!.unit,
              target: t.target,
              planRef: t.planRef ?? null,
              points: perMonth.map((figs, i) => ({
                period: months[i]!.key,
                value: figs[k]!.value,
                status: figs[k]!.status,
                evidence: evidenceLink(t.id, id, months[i]!.key),
              })),
            })),
          };
        }),
      );
    },
  }),
  route({
    method: 'get',
    path: '/api/kpis/contractors',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      "The contractors' table over a period (default this month): per contractor and budget line the uptime of the devices supplied against the contractual SLA, on track, at risk or missed, with the counted seconds and the evidence link. Camera devices count only in their contract's total.",
    query: CommuneQuery,
    handle({ deps, user, query }) {
      const period = queryPeriod(deps, query.period);
      const ids = communesOf(deps, user!).filter((id) => query.commune === undefined || id === query.commune);
      if (query.commune !== undefined && ids.length === 0)
        throw new CxError('CX_NOT_FOUND', `commune ${query.commune} not found`);
      const ind = indicators.get('contractor-sla')!;
      return ids.map((id) => {
        const c = deps.directory.communes.get(id)!;
        const nowTs = countedUpTo(period, deps.clock());
        const { input } = readKpiInput(c, deps.readModel, period, nowTs, { hash: false });
        const r = ind.compute(input, ind.configSchema.parse({}));
        return {
          communeId: id,
          period: period.key,
          fromTs: period.fromTs,
          toTs: period.toTs,
          nowTs,
          value: r.value,
          basis: r.basis,
          rules: ind.rules,
          evidence: evidenceLink(CONTRACTORS_KPI, id, period.key),
          rows: r.rows.map((row) => ({
            ...row,
            evidence: evidenceLink(CONTRACTORS_KPI, id, period.key, { contract: row.key }),
          })),
        };
      });
    },
  }),
];
