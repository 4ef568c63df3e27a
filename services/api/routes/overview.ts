import { z } from 'zod';
import { canSee, deviceTypes } from '../../device-types/registry.ts';
import { siteLocationFor } from '../../inventory/site-location.ts';
import { countStates, sumCounts } from '../../kpi/counts.ts';
import { route } from '../route.ts';
import { communesOf } from '../visibility.ts';

export const overviewRoutes = [
  route({
    method: 'get',
    path: '/api/communes',
    access: 'signed-in',
    tag: 'overview',
    summary:
      "Your commune (every commune for a province user): hamlets (with outlines), roads and sites with their GPS positions; never a camera's position to a role that may not see cameras.",
    handle({ deps, user }) {
      const sees = (kind: string) => canSee(user!.role, kind);
      return communesOf(deps, user!).map((id) => {
        const c = deps.directory.communes.get(id)!;
        // A site whose only devices are cameras this role cannot see is left out altogether.
        const shown = c.sites.filter((s) =>
          c.devices.some((d) => d.site === s.id && (sees(d.type) || !deviceTypes.get(d.type)?.sensitive)),
        );
        const sites = shown.map((s) => {
          const { lat, lon, approximate } = siteLocationFor(c, s, sees);
          // A hidden place keeps no street address either: it would say what the position does not.
          const { address, ...rest } = s;
          return { ...rest, ...(approximate ? {} : { address }), location: { lat, lon }, approximate };
        });
        return { ...c.commune, hamlets: c.hamlets, roads: c.roads, sites };
      });
    },
  }),
  route({
    method: 'get',
    path: '/api/status/summary',
    access: 'signed-in',
    tag: 'overview',
    summary:
      'Device counts by state and type per commune, and their rollup. Leaders and admins see every type of their commune counted (no camera detail); a province user every commune without cameras; others the types they may see.',
    handle({ deps, user }) {
      const u = user!;
      const allTypes = u.role === 'leader' || u.role === 'admin';
      const communes = communesOf(deps, u).map((id) => {
        const devices = [...deps.directory.all()]
          .filter((d) => d.communeId === id && (allTypes || canSee(u.role, d.type.kind)))
          .map((d) => ({
            type: d.type.kind,
            state: deps.availability.get(d.id)?.state ?? ('unknown' as const),
          }));
        const c = deps.directory.communes.get(id)!.commune;
        return { communeId: id, name: c.name, province: c.province, ...countStates(devices) };
      });
      return { communes, rollup: sumCounts(communes) };
    },
  }),
  route({
    method: 'get',
    path: '/api/config/public',
    access: 'public',
    tag: 'overview',
    summary: 'Settings the dashboard needs before sign-in (default language, optional map tiles).',
    handle: ({ deps }) => ({
      defaultLocale: deps.config.service.defaultLocale,
      // Whether a base layer is configured, never its URL (it may carry a key): tiles come through /api/map/tiles.
      map: {
        tiles: deps.config.service.map.tileUrl !== null,
        attribution: deps.config.service.map.attribution,
      },
    }),
  }),
  route({
    method: 'get',
    path: '/api/health',
    access: 'public',
    tag: 'operations',
    summary: 'Liveness for load balancers and docker healthchecks: 200 while the service runs.',
    response: z.object({ status: z.literal('ok'), uptimeSec: z.number() }),
    handle: ({ deps }) => ({
      status: 'ok' as const,
      uptimeSec: Math.round((deps.clock() - deps.startedTs) / 1000),
    }),
  }),
];
