import { z } from 'zod';
import type { Role } from '../../config/schema/commune.ts';
import type { MaintenancePlan, MaintenanceRow } from '../availability/interval-log.ts';
import { CxError } from '../shared/errors.ts';
import type { ApiDeps } from './deps.ts';

/** How far ahead maintenance may be planned or last: a season of works, not an open-ended switch. */
export const MAINTENANCE_MAX_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * Putting a device in maintenance asks why and until when (issue #17): the state ends itself at
 * `untilTs`; with a `startTs` in the future it is planned and starts then. `{ on: false }` takes it
 * out and drops its plans.
 */
export const MaintenanceBody = z.discriminatedUnion('on', [
  z.strictObject({ on: z.literal(false) }),
  z.strictObject({
    on: z.literal(true),
    reason: z.string().trim().min(3).max(500),
    untilTs: z.number().int(),
    startTs: z.number().int().optional(),
  }),
]);

/**
 * Who may put a device of this kind in maintenance: the police their cameras (a camera taken down
 * for works is theirs to announce, and nobody else sees it); technicians and admins everything else.
 */
export function mayMaintain(role: Role, kind: string): boolean {
  return kind === 'camera' ? role === 'police' : role === 'technician' || role === 'admin';
}

/** What the device page and the maintenance list show of one device's maintenance. */
export function maintenanceOf(
  deps: Pick<ApiDeps, 'db'>,
  deviceId: string,
): Omit<MaintenanceRow, 'communeId'> | null {
  return (
    (deps.db
      .prepare(
        `SELECT device_id AS deviceId, set_by AS setBy, set_ts AS setTs, reason, until_ts AS untilTs
         FROM device_maintenance WHERE device_id = ?`,
      )
      .get(deviceId) as Omit<MaintenanceRow, 'communeId'> | undefined) ?? null
  );
}

/**
 * Checks a maintenance request's times against now, naming the field at fault: the end after the
 * start (and now), both within MAINTENANCE_MAX_DAYS. Returns the start (now when not given).
 */
export function checkTimes(body: { untilTs: number; startTs?: number | undefined }, now: number): number {
  const start = Math.max(body.startTs ?? now, now);
  const limit = now + MAINTENANCE_MAX_DAYS * DAY_MS;
  const bad = (field: string, key: string) =>
    new CxError('CX_BAD_REQUEST', `maintenance ${field} out of range`, {
      fields: { [field]: key },
      params: { maxDays: MAINTENANCE_MAX_DAYS },
    });
  if (body.startTs !== undefined && body.startTs > limit) throw bad('startTs', 'validation.maintenanceStart');
  if (body.untilTs <= start || body.untilTs > start + MAINTENANCE_MAX_DAYS * DAY_MS)
    throw bad('untilTs', 'validation.maintenanceEnd');
  return start;
}

/** Plans of the devices this user may see, soonest first. */
export function plansFor(deps: ApiDeps, visible: ReadonlySet<string>): MaintenancePlan[] {
  return deps.intervals.plans().filter((p) => visible.has(p.deviceId));
}
