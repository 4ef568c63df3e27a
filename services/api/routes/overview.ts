import { z } from 'zod';
import { STATES } from '../../availability/states.ts';
import { canSee } from '../../device-types/registry.ts';
import { route } from '../route.ts';

const emptyCounts = () => Object.fromEntries(STATES.map((s) => [s, 0])) as Record<(typeof STATES)[number], number>;

export const overviewRoutes = [
  route({
    method: 'get',
    path: '/api/communes',
    access: 'signed-in',
    tag: 'overview',
    summary: 'Your commune: hamlets and sites with their GPS positions.',
    handle({ deps, user }) {
      const c = deps.directory.communes.get(user!.communeId);
      if (!c) return [];
      return [{ ...c.commune, hamlets: c.hamlets, sites: c.sites }];
    },
  }),
  route({
    method: 'get',
    path: '/api/status/summary',
    access: 'signed-in',
    tag: 'overview',
    summary:
      'Device counts by state and type. Leaders and admins see every type counted (no camera detail); others the types they may see.',
    handle({ deps, user }) {
      const allTypes = user!.role === 'leader' || user!.role === 'admin';
      const counts = emptyCounts();
      const byType: Record<string, ReturnType<typeof emptyCounts>> = {};
      for (const d of deps.directory.all()) {
        if (d.communeId !== user!.communeId || !(allTypes || canSee(user!.role, d.type.kind))) continue;
        const state = deps.availability.get(d.id)?.state ?? 'unknown';
        counts[state] += 1;
        byType[d.type.kind] ??= emptyCounts();
        byType[d.type.kind]![state] += 1;
      }
      const c = deps.directory.communes.get(user!.communeId);
      return { communes: [{ communeId: user!.communeId, name: c?.commune.name ?? '', counts, byType }] };
    },
  }),
  route({
    method: 'get',
    path: '/api/config/public',
    access: 'public',
    tag: 'overview',
    summary: 'Settings the dashboard needs before sign-in (default language, optional map tiles).',
    handle: ({ deps }) => ({ defaultLocale: deps.config.service.defaultLocale, map: deps.config.service.map }),
  }),
  route({
    method: 'get',
    path: '/api/health',
    access: 'public',
    tag: 'operations',
    summary: 'Liveness for load balancers and docker healthchecks: 200 while the service runs.',
    response: z.object({ status: z.literal('ok'), uptimeSec: z.number() }),
    handle: ({ deps }) => ({ status: 'ok' as const, uptimeSec: Math.round((deps.clock() - deps.startedTs) / 1000) }),
  }),
];
