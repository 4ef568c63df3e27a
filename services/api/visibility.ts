import type { User } from '../auth/users.ts';
import { canSee } from '../device-types/registry.ts';
import { isCameraMaintainerOf } from '../inventory/camera-maintainers.ts';
import type { DeviceInfo } from '../inventory/device-directory.ts';
import { CxError } from '../shared/errors.ts';
import type { ApiDeps } from './deps.ts';

/** A commune user sees their own commune; a province user (communeId null) sees every commune. */
export function inScope(user: User, communeId: string | null | undefined): boolean {
  return user.communeId === null || (typeof communeId === 'string' && communeId === user.communeId);
}

/** The ids of the communes this user may see, in the deployment's order. */
export function communesOf(deps: ApiDeps, user: User): string[] {
  return [...deps.directory.communes.keys()].filter((id) => inScope(user, id));
}

/** A user sees the devices of their commune(s) whose type's audience includes their role. */
export function visibleDevices(deps: ApiDeps, user: User): DeviceInfo[] {
  return [...deps.directory.all()].filter(
    (d) => inScope(user, d.communeId) && canSee(user.role, d.type.kind),
  );
}

/**
 * The device, if this user may see it. An existing device of another type or commune answers 403
 * (not 404) so that a refusal is visible as one in the audit and the role tests.
 */
export function deviceFor(deps: ApiDeps, user: User, id: string): DeviceInfo {
  const d = deps.directory.get(id);
  if (!d) throw new CxError('CX_NOT_FOUND', `device ${id} not found`);
  if (!inScope(user, d.communeId) || !canSee(user.role, d.type.kind))
    throw new CxError('CX_FORBIDDEN', `role ${user.role} may not see device ${id}`);
  if (d.type.sensitive) deps.audit.record(user, 'read-device', id, deps.clock());
  return d;
}

/**
 * A technician whom their commune file names a camera maintainer (camera-maintainers.ts): sees
 * the cameras' health, never their imagery, streams or positions (issue #12).
 */
export function isCameraMaintainer(deps: Pick<ApiDeps, 'config'>, user: User): boolean {
  if (user.role !== 'technician' || user.communeId === null) return false;
  const c = deps.config.communes.find((x) => x.commune.id === user.communeId);
  return isCameraMaintainerOf(c, user.username);
}

/**
 * Whether this user may see a device's ingest counters and refusals (its id, counts, reasons;
 * never its readings or state). An admin runs the broker and sees every device of their commune,
 * cameras included: finding the client that floods it is their job. Everyone else sees the devices
 * their role may see (a technician: no camera). An id that names no device of ours (an unknown
 * client, a bad topic) belongs to those who run the broker: technicians and admins.
 */
export function seesIngestOf(deps: ApiDeps, user: User, id: string | null | undefined): boolean {
  const d = id ? deps.directory.get(id) : undefined;
  if (!d) return user.role === 'technician' || user.role === 'admin';
  return inScope(user, d.communeId) && (user.role === 'admin' || canSee(user.role, d.type.kind));
}
