import type { User } from '../../auth/users.ts';
import type { DeviceInfo } from '../../inventory/device-directory.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { deviceFor, inScope, isCameraMaintainer } from '../visibility.ts';
import { exampleCamera } from './cameras.ts';

// The everyday camera views beside the police grid (issue #12 items 4 and 5): one camera's kept
// snapshots for its history page (police only), and the cameras' health for those who keep them
// running (the police, and technicians named camera maintainers: state, reason and since when,
// never an image, a stream or a position), with counts alone for leaders and the province.

const STATES = ['up', 'degraded', 'down', 'unreachable', 'maintenance', 'unknown'] as const;

/** Every camera of the user's commune(s), whatever their role may see of it. */
function camerasInScope(deps: ApiDeps, user: User): DeviceInfo[] {
  return [...deps.directory.all()].filter((d) => d.type.kind === 'camera' && inScope(user, d.communeId));
}

/** Cameras per state and commune: what a leader or the province is told, no camera named. */
function countsOf(deps: ApiDeps, cams: readonly DeviceInfo[]) {
  const by = new Map<string, Record<(typeof STATES)[number], number>>();
  for (const d of cams) {
    const c = by.get(d.communeId) ?? (Object.fromEntries(STATES.map((s) => [s, 0])) as never);
    by.set(d.communeId, c);
    const state = deps.availability.get(d.id)?.state ?? 'unknown';
    c[state] += 1;
  }
  return [...by].map(([communeId, byState]) => ({
    communeId,
    total: Object.values(byState).reduce((a, n) => a + n, 0),
    byState,
  }));
}

export const cameraViewRoutes = [
  route({
    method: 'get',
    path: '/api/cameras/:id/snapshots',
    access: ['police'],
    tag: 'cameras',
    summary:
      "The camera's kept snapshots, newest first (hash, time and image measures; each image through /api/cameras/:id/snapshot?sha256=), and its approved reference. Police only; audited.",
    examples: { params: exampleCamera },
    handle({ deps, user, params }) {
      const d = deviceFor(deps, user!, params.id!);
      if (d.type.kind !== 'camera') throw new CxError('CX_NOT_FOUND', `device ${d.id} is not a camera`);
      deps.audit.record(user!, 'list-snapshots', d.id, deps.clock());
      const ref = deps.snapshots?.reference(d.id);
      return {
        deviceId: d.id,
        reference: ref
          ? { sha256: ref.sha256, approvedBy: ref.approvedBy, approvedTs: ref.approvedTs }
          : null,
        snapshots: (deps.snapshots?.latest(d.id, 20) ?? []).map((s) => ({
          sha256: s.sha256,
          takenTs: s.takenTs,
          luminance: s.luminance,
          contrast: s.contrast,
          sharpness: s.sharpness,
        })),
      };
    },
  }),
  route({
    method: 'get',
    path: '/api/camera-health',
    access: ['police', 'technician', 'leader', 'province'],
    tag: 'cameras',
    summary:
      "The cameras' health: for the police and the technicians their commune file names camera maintainers, each camera's state, reason and since when (no image, stream or position; audited); for leaders and the province the counts by state alone (cameras: null). Any other technician: 403.",
    handle({ deps, user }) {
      const u = user!;
      const cams = camerasInScope(deps, u);
      const counts = countsOf(deps, cams);
      if (u.role === 'leader' || u.role === 'province') return { cameras: null, counts };
      if (u.role === 'technician' && !isCameraMaintainer(deps, u))
        throw new CxError('CX_FORBIDDEN', `${u.username} is not a camera maintainer of their commune`);
      deps.audit.record(u, 'read-camera-health', '*', deps.clock());
      return {
        cameras: cams.map((d) => {
          const live = deps.availability.get(d.id);
          return {
            id: d.id,
            name: d.name,
            state: live?.state ?? 'unknown',
            reason: live?.reason ?? 'awaiting-evidence',
            params: live?.params ?? {},
            sinceTs: live?.sinceTs ?? null,
          };
        }),
        counts,
      };
    },
  }),
];
