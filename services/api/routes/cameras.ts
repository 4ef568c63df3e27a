import { z } from 'zod';
import type { User } from '../../auth/users.ts';
import { receiveSnapshot } from '../../cameras/snapshot-upload.ts';
import type { DeviceInfo } from '../../inventory/device-directory.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import type { ExampleContext } from '../route.ts';
import { route } from '../route.ts';
import { readSeries, SeriesRangeSchema, SeriesResponseSchema } from '../series.ts';
import { deviceFor, visibleDevices } from '../visibility.ts';

// The commune police's camera routes (issue #12). Imagery, references and clock history are
// police only, always: every other role is refused by the access rule before a handler runs, and
// the role walk (test/integration/api-roles.test.ts) proves it from the examples below. Every read
// is written to the audit log (who, when, which camera).

const POLICE = ['police'] as const;
/** Devices on the LAN that nobody watches: police (their cameras) and admins (the inventory). */
const DISCOVERY = ['police', 'admin'] as const;

/** Example param: a camera of the caller's commune (or any, for a caller without one). */
export function exampleCamera(ctx: ExampleContext): { id: string } {
  const cams = [...ctx.deps.directory.all()].filter((d) => d.type.kind === 'camera');
  const d = cams.find((x) => ctx.communeId === null || x.communeId === ctx.communeId) ?? cams[0];
  if (!d)
    throw new Error('no camera in the test communes: add one (test/fixtures/mini-commune.ts has cam-1)');
  return { id: d.id };
}

/** The camera, checked as any device read (commune, role; audited as `read-device`), or 404. */
function cameraFor(deps: ApiDeps, user: User, id: string): DeviceInfo {
  const d = deviceFor(deps, user, id);
  if (d.type.kind !== 'camera') throw new CxError('CX_NOT_FOUND', `device ${id} is not a camera`);
  return d;
}

function snapshotMeta(deps: ApiDeps, deviceId: string) {
  const last = deps.snapshots?.latest(deviceId, 1)[0];
  const ref = deps.snapshots?.reference(deviceId);
  return {
    snapshot: last
      ? {
          sha256: last.sha256,
          takenTs: last.takenTs,
          luminance: last.luminance,
          contrast: last.contrast,
          sharpness: last.sharpness,
        }
      : null,
    reference: ref ? { sha256: ref.sha256, approvedBy: ref.approvedBy, approvedTs: ref.approvedTs } : null,
  };
}

export const cameraRoutes = [
  route({
    method: 'get',
    path: '/api/cameras/discovery',
    access: DISCOVERY,
    tag: 'cameras',
    summary:
      "ONVIF devices that answer WS-Discovery on the service's LAN but are in no commune's inventory (endpoint, XAddrs, host, port, name and hardware from their scopes). One multicast probe of a few seconds, its answer reused for a minute. Audited.",
    async handle({ deps, user }) {
      if (!deps.onvifDiscovery) throw new CxError('CX_NOT_FOUND', 'no ONVIF discovery in this process');
      deps.audit.record(user!, 'onvif-discovery', '*', deps.clock());
      return await deps.onvifDiscovery.run();
    },
  }),
  route({
    method: 'get',
    path: '/api/cameras',
    access: POLICE,
    tag: 'cameras',
    summary:
      "The police's camera grid: each camera of your commune with its state, reason, since when, and its latest snapshot and approved reference (ids and times, not the images).",
    handle({ deps, user }) {
      const cams = visibleDevices(deps, user!).filter((d) => d.type.kind === 'camera');
      deps.audit.record(user!, 'list-cameras', '*', deps.clock());
      return cams.map((d) => {
        const live = deps.availability.get(d.id);
        return {
          id: d.id,
          name: d.name,
          hamletId: d.hamletId,
          state: live?.state ?? 'unknown',
          reason: live?.reason ?? 'awaiting-evidence',
          params: live?.params ?? {},
          sinceTs: live?.sinceTs ?? null,
          ...snapshotMeta(deps, d.id),
        };
      });
    },
  }),
  route({
    method: 'get',
    path: '/api/cameras/:id/snapshot',
    access: POLICE,
    tag: 'cameras',
    summary:
      "The camera's latest snapshot as image/jpeg (or, with `sha256`, one it still keeps: a recent one or its reference). Audited.",
    query: z.strictObject({
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
    examples: { params: exampleCamera },
    handle({ deps, user, params, query, res }) {
      const d = cameraFor(deps, user!, params.id!);
      deps.audit.record(user!, 'read-snapshot', d.id, deps.clock());
      const store = deps.snapshots;
      const kept = store?.latest(d.id, 1000) ?? [];
      const ref = store?.reference(d.id);
      const sha = query.sha256 ?? kept[0]?.sha256;
      // Only this camera's own images: a hash of another camera's snapshot is not a way to read it.
      const owned = sha !== undefined && (kept.some((r) => r.sha256 === sha) || ref?.sha256 === sha);
      const image = owned ? store?.image(sha) : undefined;
      if (!image || !sha) throw new CxError('CX_NOT_FOUND', `no snapshot of ${d.id}`);
      res.setHeader('Cache-Control', 'private, no-store');
      res.setHeader('X-Snapshot-Sha256', sha);
      res.type('image/jpeg').send(image);
      return res;
    },
  }),
  route({
    method: 'put',
    path: '/api/cameras/:id/snapshots',
    access: { deviceCredential: 'gateway' },
    tag: 'cameras',
    summary:
      "A probe gateway at a site uploads a snapshot it judged (Content-Type: image/jpeg, at most 8 MiB; X-Taken-Ts: epoch ms), with its own device id and MQTT password as HTTP Basic, for a camera it reports for. Kept content-addressed beside the embedded probe's; answers its sha256 and the camera's approved reference dHash (the gateway judges 'scene moved' with it). Refused credentials are counted in the reject log.",
    examples: { params: exampleCamera, body: {} },
    handle: ({ deps, deviceId, params, req }) => receiveSnapshot(deps, deviceId!, params.id!, req),
  }),
  route({
    method: 'post',
    path: '/api/cameras/:id/reference',
    access: POLICE,
    tag: 'cameras',
    summary:
      "Approves the camera's latest snapshot as its reference view (after a legitimate re-aim): the scene-moved check compares with it from the next run. Audited (who, when, which camera, which image).",
    body: z.strictObject({}),
    examples: { params: exampleCamera, body: {} },
    handle({ deps, user, params }) {
      const d = cameraFor(deps, user!, params.id!);
      const ref = deps.snapshots?.approveLatest(d.id, user!.username, deps.clock());
      if (!ref) throw new CxError('CX_NOT_FOUND', `no snapshot of ${d.id} to approve`);
      deps.audit.record(user!, 'approve-reference', `${d.id}@${ref.sha256.slice(0, 16)}`, deps.clock());
      return { deviceId: d.id, sha256: ref.sha256, approvedBy: ref.approvedBy, approvedTs: ref.approvedTs };
    },
  }),
  route({
    method: 'get',
    path: '/api/cameras/:id/drift',
    access: POLICE,
    tag: 'cameras',
    summary:
      "The camera's clock drift against the server (clockDriftSec, seconds; positive: the camera runs ahead), min/max/mean per bucket, for the drift chart. Audited.",
    query: z.strictObject({ range: SeriesRangeSchema.default('24h') }),
    response: SeriesResponseSchema,
    examples: { params: exampleCamera },
    async handle({ deps, user, params, query }) {
      const d = cameraFor(deps, user!, params.id!);
      deps.audit.record(user!, 'read-camera-drift', d.id, deps.clock());
      const series = await readSeries(deps.store, {
        communeId: d.communeId,
        deviceId: d.id,
        metric: 'clockDriftSec',
        range: query.range,
        now: deps.clock(),
      });
      return { metric: 'clockDriftSec', ...series };
    },
  }),
];
