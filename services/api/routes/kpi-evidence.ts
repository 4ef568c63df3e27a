import { z } from 'zod';
import type { CommuneFile } from '../../../config/schema/commune.ts';
import type { User } from '../../auth/users.ts';
import { canSee, deviceTypes } from '../../device-types/registry.ts';
import { inContract } from '../../kpi/contracts.ts';
import { readKpiInput } from '../../kpi/evaluate.ts';
import {
  type Contribution,
  deviceContribution,
  figureLedgers,
  groupContribution,
} from '../../kpi/evidence.ts';
import type { Indicator, KpiInput } from '../../kpi/indicator.ts';
import { indicators } from '../../kpi/indicators/registry.ts';
import type { DeviceLedger } from '../../kpi/ledger.ts';
import { countedUpTo, periodContaining } from '../../kpi/periods.ts';
import { evaluateTargets } from '../../kpi/targets.ts';
import { SCOPES, type ScopeKind } from '../../read-model/scope.ts';
import { parsePeriodKey, periodKey } from '../../reports/period-key.ts';
import { uplinksReader } from '../../reports/sources.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { type ExampleContext, route } from '../route.ts';
import { communesOf } from '../visibility.ts';
import { sourcesOf } from './reports.ts';

/**
 * The evidence behind each KPI figure (issue #16 §3): for a scope (commune, hamlet, site, device)
 * each device's contribution in counted seconds, the next level down to drill into, and for a
 * device its intervals and events with reason codes. A device type the caller's role may not see
 * (a camera, for anyone but the police) is never named: its devices count in the commune's and
 * hamlets' totals as one aggregate row, and are left out of site and device answers, so a
 * drill-down never gives a camera's identity or position.
 */

/** The contractors' table is a figure too: `contractors` names it (contractor-sla, default params). */
export const CONTRACTORS_KPI = 'contractors';
const EVENTS_LIMIT = 1000;

/** The API path explaining a figure, carried by every /api/kpis result. */
export function evidenceLink(
  kpiId: string,
  communeId: string,
  period: string,
  extra: Record<string, string> = {},
): string {
  const q = new URLSearchParams({ commune: communeId, period, ...extra });
  return `/api/kpis/${encodeURIComponent(kpiId)}/evidence?${q}`;
}

/** The period of a query: a key (2026-03, 2026-q1, 2026), or this month so far. */
export function queryPeriod(deps: ApiDeps, key: string | undefined) {
  if (key === undefined) {
    const p = periodContaining('month', deps.clock());
    return { ...p, key: periodKey('month', p.fromTs) };
  }
  const p = parsePeriodKey(key);
  if (!p)
    throw new CxError('CX_BAD_REQUEST', `bad period ${key}`, {
      fields: { period: 'validation.invalid_format' },
    });
  return { fromTs: p.fromTs, toTs: p.toTs, key };
}

interface Figure {
  readonly commune: CommuneFile;
  readonly kpiId: string;
  readonly name: string;
  readonly indicator: Indicator;
  readonly params: unknown;
  readonly target: CommuneFile['kpiTargets'][number] | null;
}

/** The target `kpiId` of a commune the user sees (or the contractors' table); 404 otherwise. */
function figureFor(deps: ApiDeps, user: User, kpiId: string, communeId: string | undefined): Figure {
  for (const id of communesOf(deps, user)) {
    if (communeId !== undefined && id !== communeId) continue;
    const c = deps.directory.communes.get(id)!;
    const t = c.kpiTargets.find((k) => k.id === kpiId);
    if (t) {
      const ind = indicators.get(t.indicator)!;
      return {
        commune: c,
        kpiId,
        name: t.name,
        indicator: ind,
        params: ind.configSchema.parse(t.params),
        target: t,
      };
    }
    if (kpiId === CONTRACTORS_KPI && (c.contractors ?? []).length > 0) {
      const ind = indicators.get('contractor-sla')!;
      return {
        commune: c,
        kpiId,
        name: ind.label.vi,
        indicator: ind,
        params: ind.configSchema.parse({}),
        target: null,
      };
    }
  }
  throw new CxError('CX_NOT_FOUND', `no KPI ${kpiId} in the communes of ${user.username}`);
}

const hidden = (user: User, l: DeviceLedger) => !canSee(user.role, l.device.type);

function scopeLabel(c: CommuneFile, kind: ScopeKind, id: string): string | undefined {
  if (kind === 'commune') return id === c.commune.id ? c.commune.name : undefined;
  if (kind === 'hamlet') return c.hamlets.find((h) => h.id === id)?.name;
  if (kind === 'site') return c.sites.find((s) => s.id === id)?.name;
  return c.devices.find((d) => d.id === id)?.name;
}

const IN_SCOPE: Record<ScopeKind, (l: DeviceLedger, id: string) => boolean> = {
  commune: () => true,
  hamlet: (l, id) => l.device.hamletId === id,
  site: (l, id) => l.device.siteId === id,
  device: (l, id) => l.device.id === id,
};

/** One level down: hamlets of a commune, sites of a hamlet, devices of a site. */
function children(
  input: KpiInput,
  c: CommuneFile,
  kind: ScopeKind,
  shown: readonly DeviceLedger[],
  link: (kind: ScopeKind, id: string) => string,
) {
  const level: Record<ScopeKind, ScopeKind | null> = {
    commune: 'hamlet',
    hamlet: 'site',
    site: 'device',
    device: null,
  };
  const next = level[kind];
  if (next === null) return [];
  const keyOf = (l: DeviceLedger) =>
    next === 'hamlet' ? l.device.hamletId : next === 'site' ? l.device.siteId : l.device.id;
  const groups = new Map<string, DeviceLedger[]>();
  for (const l of shown) groups.set(keyOf(l), [...(groups.get(keyOf(l)) ?? []), l]);
  // Hamlets and sites in the commune file's order, the way the commune lists them.
  const order = (id: string) =>
    next === 'hamlet'
      ? c.hamlets.findIndex((x) => x.id === id)
      : next === 'site'
        ? c.sites.findIndex((x) => x.id === id)
        : 0;
  return [...groups]
    .sort(([a], [b]) => order(a) - order(b))
    .map(([id, ls]) => ({
      kind: next,
      id,
      label: scopeLabel(c, next, id) ?? id,
      ...groupContribution(input, ls),
      evidence: link(next, id),
    }));
}

const EvidenceQuery = z.strictObject({
  commune: z.string().optional(),
  period: z.string().optional(),
  scope: z.enum(SCOPES).default('commune'),
  /** The hamlet, site or device id; the commune's own id (or nothing) for scope=commune. */
  id: z.string().optional(),
  /** For the contractors' table: one contract's devices (`<contractor>.<index>`, a row key). */
  contract: z.string().optional(),
});

function contractLedgers(fig: Figure, ledgers: readonly DeviceLedger[], key: string | undefined) {
  if (key === undefined) return ledgers;
  const [kid, j] = key.split('.');
  const ct = (fig.commune.contractors ?? []).find((k) => k.id === kid)?.contracts[Number(j)];
  if (!ct) throw new CxError('CX_NOT_FOUND', `no contract ${key}`);
  return ledgers.filter((l) => inContract(ct, l.device));
}

export const kpiEvidenceRoutes = [
  route({
    method: 'get',
    path: '/api/kpis/:kpiId/evidence',
    access: ['leader', 'admin'],
    tag: 'kpi',
    summary:
      'The evidence behind a KPI figure over a period (default this month): per device of the scope (commune, hamlet, site, device) the counted up, down, unreachable, maintenance, unknown and excluded seconds from the ledger, the next level to drill into, and for one device its intervals and events with reason codes. Cameras are one aggregate row, never named or placed.',
    query: EvidenceQuery,
    examples: {
      params: (ctx: ExampleContext) => {
        const id = ctx.communeId ?? [...ctx.deps.directory.communes.keys()][0]!;
        return { kpiId: ctx.deps.directory.communes.get(id)!.kpiTargets[0]?.id ?? CONTRACTORS_KPI };
      },
    },
    async handle({ deps, user, params, query }) {
      const fig = figureFor(deps, user!, params.kpiId!, query.commune);
      const c = fig.commune;
      const period = queryPeriod(deps, query.period);
      const scopeId = query.id ?? (query.scope === 'commune' ? c.commune.id : undefined);
      if (scopeId === undefined)
        throw new CxError('CX_BAD_REQUEST', `scope ${query.scope} needs an id`, {
          fields: { id: 'validation.invalid_type' },
        });
      const label = scopeLabel(c, query.scope, scopeId);
      if (label === undefined)
        throw new CxError('CX_NOT_FOUND', `${query.scope} ${scopeId} not in ${c.commune.id}`);
      const type = c.devices.find((d) => d.id === scopeId)?.type;
      if (query.scope === 'device' && type !== undefined && !canSee(user!.role, type))
        throw new CxError('CX_FORBIDDEN', `role ${user!.role} may not see device ${scopeId}`);
      const nowTs = countedUpTo(period, deps.clock());
      // The farm sensors' uplinks, as /api/kpis counts them: without them a farm figure has no value.
      const uplinks = await uplinksReader(sourcesOf(deps))(c, period, nowTs);
      const { input } = readKpiInput(c, deps.readModel, period, nowTs, { uplinks, hash: false });
      const all = contractLedgers(fig, figureLedgers(input, fig.indicator, fig.params), query.contract);
      const inScope = all.filter((l) => IN_SCOPE[query.scope](l, scopeId));
      const shown = inScope.filter((l) => !hidden(user!, l));
      // Hidden devices count only where the answer names no place smaller than a hamlet.
      const aggregate = query.scope === 'commune' || query.scope === 'hamlet';
      const withheld = inScope.filter((l) => hidden(user!, l));
      const counted = aggregate ? inScope : shown;
      const figure = fig.target ? evaluateTargets([fig.target], input, c.kpi?.atRiskMargin ?? 1)[0]! : null;
      const extra: Record<string, string> = query.contract ? { contract: query.contract } : {};
      const link = (kind: ScopeKind, id: string) =>
        `${evidenceLink(fig.kpiId, c.commune.id, period.key, extra)}&scope=${kind}&id=${encodeURIComponent(id)}`;
      const device = query.scope === 'device' ? shown[0] : undefined;
      return {
        communeId: c.commune.id,
        kpiId: fig.kpiId,
        name: fig.name,
        indicator: fig.indicator.kind,
        period: period.key,
        fromTs: period.fromTs,
        toTs: period.toTs,
        nowTs,
        scope: { kind: query.scope, id: scopeId, label },
        figure: figure && {
          value: figure.value,
          unit: figure.unit,
          target: figure.target,
          status: figure.status,
          planRef: figure.planRef,
        },
        rules: fig.indicator.rules,
        totals: groupContribution(input, counted),
        children: children(input, c, query.scope, shown, link),
        devices: shown.map((l) => deviceContribution(input, l)),
        withheld: aggregate && withheld.length > 0 ? withheldRows(input, withheld) : [],
        ...(device ? deviceEvidence(deps, device.device.id, period, nowTs) : {}),
      };
    },
  }),
];

/** Hidden devices as one row per type: how many, and their summed seconds; no id, name or place. */
function withheldRows(
  input: KpiInput,
  ls: readonly DeviceLedger[],
): Array<{ type: string; label: unknown } & Contribution> {
  const byType = new Map<string, DeviceLedger[]>();
  for (const l of ls) byType.set(l.device.type, [...(byType.get(l.device.type) ?? []), l]);
  return [...byType].map(([type, group]) => ({
    type,
    label: deviceTypes.get(type)?.label ?? type,
    ...groupContribution(input, group),
  }));
}

/** One device's intervals (clipped to the period and to now) and events, with reason codes. */
function deviceEvidence(deps: ApiDeps, id: string, period: { fromTs: number; toTs: number }, nowTs: number) {
  const intervals = [...deps.readModel.spans([id], period)]
    .map((s) => ({
      state: s.state,
      reason: s.reason,
      params: s.params,
      startTs: s.startTs,
      endTs: Math.min(s.endTs, nowTs),
      open: s.open,
    }))
    .filter((s) => s.endTs > s.startTs);
  const events = deps.readModel.events([id], period, EVENTS_LIMIT).map((e) => ({
    ts: e.ts,
    receivedTs: e.receivedTs,
    type: e.type,
    severity: e.severity,
    detail: e.detail,
  }));
  return { intervals, events, eventsTruncated: events.length >= EVENTS_LIMIT };
}
