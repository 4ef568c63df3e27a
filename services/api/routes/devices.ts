import { z } from 'zod';
import type { Role } from '../../../config/schema/commune.ts';
import { canSee } from '../../device-types/registry.ts';
import type { DeviceInfo } from '../../inventory/device-directory.ts';
import { type SitePlace, siteLocationFor } from '../../inventory/site-location.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { exampleDevice, exampleMaintained } from '../examples.ts';
import { checkTimes, MaintenanceBody, maintenanceOf, mayMaintain, plansFor } from '../maintenance.ts';
import { route } from '../route.ts';
import { readSeries, SeriesRangeSchema, SeriesResponseSchema } from '../series.ts';
import { deviceFor, visibleDevices } from '../visibility.ts';

const DAY_MS = 86_400_000;

const locationOf = ({ lat, lon }: SitePlace) => ({ lat, lon });
const Range = z.strictObject({
  fromTs: z.coerce.number().int().optional(),
  toTs: z.coerce.number().int().optional(),
});

/** A device as the API shows it to `role`: its site's position is never a hidden camera's. */
export function deviceView(deps: ApiDeps, d: DeviceInfo, role: Role) {
  const commune = deps.directory.communes.get(d.communeId)!;
  const site = commune.sites.find((s) => s.id === d.siteId)!;
  const hamlet = commune.hamlets.find((h) => h.id === d.hamletId);
  const live = deps.availability.get(d.id);
  const c = d.config;
  return {
    id: d.id,
    communeId: d.communeId,
    type: d.type.kind,
    typeLabel: d.type.label,
    name: d.name,
    siteId: site.id,
    siteName: site.name,
    siteKind: site.kind,
    hamletId: d.hamletId,
    hamletName: hamlet?.name ?? d.hamletId,
    location: locationOf(siteLocationFor(commune, site, (kind) => canSee(role, kind))),
    vendor: c.vendor ?? null,
    model: c.model ?? null,
    installedAt: c.installedAt,
    commissionedAt: c.commissionedAt ?? c.installedAt,
    contractor: c.contractor ?? null,
    budgetLine: c.budgetLine ?? null,
    notes: c.notes ?? null,
    upstreamId: d.upstreamId,
    heartbeatIntervalSec: d.heartbeatIntervalSec,
    graceSec: d.graceSec,
    state: live?.state ?? 'unknown',
    reason: live?.reason ?? 'awaiting-evidence',
    params: live?.params ?? {},
    sinceTs: live?.sinceTs ?? null,
    lastHeardTs: live?.lastHeardTs ?? null,
    // Who put it in maintenance, why and until when; null when it is not in maintenance.
    maintenance: live?.state === 'maintenance' ? maintenanceOf(deps, d.id) : null,
  };
}

export const deviceRoutes = [
  route({
    method: 'get',
    path: '/api/devices',
    access: 'signed-in',
    tag: 'devices',
    summary: 'Devices of your commune that your role may see, with their live state.',
    query: z.strictObject({ type: z.string().optional() }),
    handle({ deps, user, query }) {
      const list = visibleDevices(deps, user!).filter((d) => !query.type || d.type.kind === query.type);
      if (list.some((d) => d.type.sensitive))
        deps.audit.record(user!, 'list-devices', query.type ?? '*', deps.clock());
      const heartbeats = lastHeartbeats(deps);
      return list.map((d) => ({
        ...deviceView(deps, d, user!.role),
        lastHeartbeatTs: heartbeats.get(d.id)?.ts ?? null,
      }));
    },
  }),
  route({
    method: 'get',
    path: '/api/devices/:id',
    access: 'signed-in',
    examples: { params: exampleDevice },
    tag: 'devices',
    summary: 'One device: inventory, live state, last heartbeat and latest telemetry.',
    async handle({ deps, user, params }) {
      const d = deviceFor(deps, user!, params.id!);
      const hb = lastHeartbeats(deps, d.id).get(d.id);
      const latest = (await deps.store.latest({ deviceId: d.id })).map(({ metric, ts, value }) => ({
        metric,
        ts,
        value,
      }));
      return {
        ...deviceView(deps, d, user!.role),
        lastHeartbeatTs: hb?.ts ?? null,
        lastHeartbeat: hb?.doc ?? null,
        latest,
      };
    },
  }),
  route({
    method: 'get',
    path: '/api/devices/:id/history',
    access: 'signed-in',
    examples: { params: exampleDevice },
    tag: 'devices',
    summary: 'State intervals (the evidence behind uptime), newest first; default the last 7 days.',
    query: Range,
    handle({ deps, user, params, query }) {
      const d = deviceFor(deps, user!, params.id!);
      const toTs = query.toTs ?? deps.clock() + 1;
      return deps.intervals.history(d.id, query.fromTs ?? toTs - 7 * DAY_MS, toTs);
    },
  }),
  route({
    method: 'get',
    path: '/api/devices/:id/telemetry',
    access: 'signed-in',
    examples: { params: exampleDevice },
    tag: 'devices',
    summary: 'Telemetry readings of one device; default the last 24 hours.',
    query: Range.extend({ metric: z.string().max(48).optional() }),
    async handle({ deps, user, params, query }) {
      const d = deviceFor(deps, user!, params.id!);
      const toTs = query.toTs ?? deps.clock() + 1;
      const rows = await deps.store.query({
        communeId: d.communeId,
        deviceId: d.id,
        ...(query.metric ? { metric: query.metric } : {}),
        fromTs: query.fromTs ?? toTs - DAY_MS,
        toTs,
      });
      return rows.map(({ metric, ts, value }) => ({ metric, ts, value }));
    },
  }),
  route({
    method: 'get',
    path: '/api/devices/:id/series',
    examples: { params: exampleDevice },
    access: 'signed-in',
    tag: 'devices',
    summary:
      "One metric's history for a chart: min, max, mean and count per 1-minute bucket over 24 h, per 1-hour bucket over 7 d or 30 d. Without `metric`, the device's first metric by name.",
    // `metric` is optional so the route answers a bare URL (the role walk calls it without a query).
    query: z.strictObject({
      metric: z
        .string()
        .max(48)
        .regex(/^[a-zA-Z][a-zA-Z0-9]*$/)
        .optional(),
      range: SeriesRangeSchema.default('24h'),
    }),
    response: SeriesResponseSchema,
    async handle({ deps, user, params, query }) {
      const d = deviceFor(deps, user!, params.id!);
      const metric =
        query.metric ??
        (await deps.store.latest({ communeId: d.communeId, deviceId: d.id })).map((r) => r.metric).sort()[0];
      if (metric === undefined) return { metric: null, resolution: '1m', points: [] };
      const series = await readSeries(deps.store, {
        communeId: d.communeId,
        deviceId: d.id,
        metric,
        range: query.range,
        now: deps.clock(),
      });
      return { metric, ...series };
    },
  }),
  route({
    method: 'post',
    path: '/api/devices/:id/maintenance',
    // The police for their cameras only, technicians and admins for the rest (mayMaintain).
    access: ['technician', 'admin', 'police'],
    tag: 'devices',
    summary:
      'Puts a device in maintenance (its downtime then does not count as an outage) with a reason and a planned end (epoch ms, at most 90 days), at which it ends itself; with a future startTs it is planned; { on: false } takes it out and drops its plans.',
    body: MaintenanceBody,
    examples: { params: exampleMaintained, body: { on: false } },
    handle({ deps, user, params, body }) {
      const d = deviceFor(deps, user!, params.id!);
      if (!mayMaintain(user!.role, d.type.kind))
        throw new CxError('CX_FORBIDDEN', `role ${user!.role} may not put a ${d.type.kind} in maintenance`);
      const now = deps.clock();
      if (!body.on) {
        deps.availability.setMaintenance(d.id, false, user!.username);
        const plansDropped = deps.intervals.dropPlans({ deviceId: d.id });
        deps.audit.record(user!, 'maintenance-off', d.id, now, plansDropped ? { plansDropped } : undefined);
        return deviceView(deps, d, user!.role);
      }
      const startTs = checkTimes(body, now);
      const detail = { reason: body.reason, untilTs: body.untilTs };
      if (startTs > now) {
        deps.intervals.addPlan({
          deviceId: d.id,
          communeId: d.communeId,
          startTs,
          untilTs: body.untilTs,
          reason: body.reason,
          setBy: user!.username,
          setTs: now,
        });
        deps.audit.record(user!, 'maintenance-plan', d.id, now, { ...detail, startTs });
      } else {
        deps.availability.setMaintenance(d.id, true, user!.username, detail);
        deps.audit.record(user!, 'maintenance-on', d.id, now, detail);
      }
      return deviceView(deps, d, user!.role);
    },
  }),
];

function lastHeartbeats(deps: ApiDeps, deviceId?: string): Map<string, { ts: number | null; doc: unknown }> {
  return new Map(
    deps.intervals
      .statuses(deviceId)
      .map((s) => [s.deviceId, { ts: s.lastHeartbeatTs, doc: s.lastHeartbeat }]),
  );
}

/** What is in maintenance now and what is planned next, among the devices the user may see. */
export const maintenanceListRoute = route({
  method: 'get',
  path: '/api/maintenance',
  access: ['technician', 'admin', 'leader', 'police', 'economics'],
  tag: 'devices',
  summary:
    'Devices in maintenance now (who set it, why, until when), soonest end first, and planned maintenance, soonest start first.',
  handle({ deps, user }) {
    const visible = visibleDevices(deps, user!);
    const byId = new Map(visible.map((d) => [d.id, d]));
    const now = visible
      .filter((d) => deps.availability.get(d.id)?.state === 'maintenance')
      .map((d) => ({ ...deviceView(deps, d, user!.role), maintenance: maintenanceOf(deps, d.id) }))
      .sort((a, b) => (a.maintenance?.untilTs ?? Infinity) - (b.maintenance?.untilTs ?? Infinity));
    const planned = plansFor(deps, new Set(byId.keys())).map((p) => ({
      ...p,
      name: byId.get(p.deviceId)!.name,
      type: byId.get(p.deviceId)!.type.kind,
    }));
    // The police's cameras in maintenance are a read of sensitive devices, as the device list is.
    if ([...now, ...planned].some((d) => byId.get('deviceId' in d ? d.deviceId : d.id)?.type.sensitive))
      deps.audit.record(user!, 'list-devices', 'maintenance', deps.clock());
    return { now, planned };
  },
});
