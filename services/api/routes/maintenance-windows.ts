import { z } from 'zod';
import { Text } from '../../../config/schema/common.ts';
import {
  WINDOW_MAX_DAYS,
  WindowScheduleSchema,
  WindowScopeSchema,
} from '../../../config/schema/quiet-windows.ts';
import { devicesOf, type MaintenanceWindow } from '../../alerts/windows/window-store.ts';
import type { User } from '../../auth/users.ts';
import { canSee } from '../../device-types/registry.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { deviceFor, inScope } from '../visibility.ts';

const DAY_MS = 86_400_000;

const WindowBody = z.strictObject({
  scope: WindowScopeSchema,
  reason: Text.pipe(z.string().min(3).max(500)),
  schedule: WindowScheduleSchema,
});

function windows(deps: ApiDeps) {
  if (!deps.alerting) throw new CxError('CX_NOT_FOUND', 'alerts are not running in this process');
  return deps.alerting.windows;
}

/** The devices of a window this user's role sees (a window never shows a camera to a technician). */
const seenBy = (deps: ApiDeps, user: User, w: MaintenanceWindow) =>
  inScope(user, w.communeId)
    ? devicesOf(deps.directory, w).filter((d) => canSee(user.role, d.type.kind))
    : [];

/** Whether this user may remove a window: an admin of its commune, or one who sees every device it covers. */
function mayRemove(deps: ApiDeps, user: User, w: MaintenanceWindow): boolean {
  if (!inScope(user, w.communeId)) return false;
  const all = devicesOf(deps.directory, w);
  return user.role === 'admin' || (all.length > 0 && all.every((d) => canSee(user.role, d.type.kind)));
}

function windowView(deps: ApiDeps, user: User, w: MaintenanceWindow, now: number) {
  const commune = deps.directory.communes.get(w.communeId);
  const place =
    w.scope.kind === 'device'
      ? deps.directory.get(w.scope.id)?.name
      : w.scope.kind === 'site'
        ? commune?.sites.find((s) => s.id === w.scope.id)?.name
        : commune?.hamlets.find((h) => h.id === w.scope.id)?.name;
  const devices = seenBy(deps, user, w);
  const active = windows(deps).current(w, now);
  const next = windows(deps).upcoming(w, now);
  const removable = w.configId === null && mayRemove(deps, user, w);
  return {
    id: w.id,
    communeId: w.communeId,
    fromConfig: w.configId !== null,
    scope: { ...w.scope, name: place ?? w.scope.id },
    reason: w.reason,
    schedule: w.schedule,
    createdBy: w.createdBy,
    createdTs: w.createdTs,
    active: active ?? null,
    next: next ?? null,
    devices: devices.map((d) => ({ id: d.id, name: d.name, type: d.type.kind })),
    removable,
    // Over (a one-off past its end) needs no edit; ending early needs an occurrence holding now.
    editable: removable && next !== undefined,
    endable: removable && active !== undefined,
  };
}

/** What an edit or an end is told about a window it cannot change; null when it may. */
function refusal(deps: ApiDeps, user: User, w: MaintenanceWindow | undefined) {
  if (!w || !inScope(user, w.communeId)) return 'not-found' as const;
  if (w.configId !== null) return 'from-file' as const;
  return mayRemove(deps, user, w) ? null : ('forbidden' as const);
}

/** A window as the audit log keeps it before and after a change. */
const auditOf = (w: Pick<MaintenanceWindow, 'scope' | 'reason' | 'schedule'>) => ({
  scope: `${w.scope.kind}:${w.scope.id}`,
  reason: w.reason,
  schedule: w.schedule,
});

/** Checks a new window against the caller: their commune, devices their role sees, sane times. */
function checkNew(deps: ApiDeps, user: User, body: z.output<typeof WindowBody>, now: number): string {
  const communeId = user.communeId;
  const commune = communeId ? deps.directory.communes.get(communeId) : undefined;
  if (!commune || !communeId) throw new CxError('CX_FORBIDDEN', 'windows belong to one commune');
  const { kind, id } = body.scope;
  if (kind === 'device') deviceFor(deps, user, id);
  else if (!(kind === 'site' ? commune.sites : commune.hamlets).some((p) => p.id === id))
    throw new CxError('CX_BAD_REQUEST', `no ${kind} ${id}`, {
      fields: { 'scope.id': 'validation.windowPlace' },
    });
  if (devicesOf(deps.directory, { communeId, scope: body.scope, role: user.role }).length === 0)
    throw new CxError('CX_FORBIDDEN', `role ${user.role} sees no device in ${kind} ${id}`);
  const s = body.schedule;
  if (s.kind === 'once' && (s.untilTs <= now || s.startTs > now + WINDOW_MAX_DAYS * DAY_MS))
    throw new CxError('CX_BAD_REQUEST', 'window out of range', {
      fields: { 'schedule.untilTs': 'validation.maintenanceEnd' },
      params: { maxDays: WINDOW_MAX_DAYS },
    });
  return communeId;
}

export const maintenanceWindowRoutes = [
  route({
    method: 'get',
    path: '/api/maintenance/windows',
    access: ['technician', 'admin', 'leader', 'police', 'economics'],
    tag: 'devices',
    summary:
      'Maintenance windows that cover a device the caller sees: place, reason, schedule (Vietnam time), the occurrence holding now and the next one, and the devices of it the caller sees.',
    handle({ deps, user }) {
      const now = deps.clock();
      return windows(deps)
        .store.all()
        .filter((w) => seenBy(deps, user!, w).length > 0)
        .map((w) => windowView(deps, user!, w, now))
        .sort((a, b) => (a.next?.startTs ?? Infinity) - (b.next?.startTs ?? Infinity));
    },
  }),
  route({
    method: 'post',
    path: '/api/maintenance/windows',
    access: ['technician', 'admin', 'police', 'economics'],
    tag: 'devices',
    summary:
      "Adds a maintenance window over a device, a site or a hamlet: once (startTs, untilTs) or daily/weekly at HH:MM Vietnam time for durationMin. It covers the devices of the place the caller's role sees (a camera only for the police); while an occurrence holds they are in maintenance and their alerts are silent.",
    body: WindowBody,
    examples: {
      body: {
        scope: { kind: 'hamlet', id: 'tl-ap-12' },
        reason: 'Nhà thầu bảo trì định kỳ đêm thứ Ba',
        schedule: { kind: 'weekly', days: ['tue'], at: '22:00', durationMin: 240 },
      },
    },
    handle({ deps, user, body }) {
      const now = deps.clock();
      const communeId = checkNew(deps, user!, body, now);
      const w = windows(deps);
      const id = w.store.add({
        communeId,
        configId: null,
        scope: body.scope,
        role: user!.role,
        reason: body.reason,
        schedule: body.schedule,
        createdBy: user!.username,
        createdTs: now,
      });
      deps.audit.record(user!, 'maintenance-window-add', `window:${id}`, now, {
        scope: `${body.scope.kind}:${body.scope.id}`,
        reason: body.reason,
        schedule: JSON.stringify(body.schedule),
      });
      // An occurrence that holds already starts now, not at the next housekeeping tick.
      deps.alerting!.housekeep();
      return windowView(deps, user!, w.store.get(id)!, now);
    },
  }),
  route({
    method: 'post',
    path: '/api/maintenance/windows/remove',
    access: ['technician', 'admin', 'police', 'economics'],
    tag: 'devices',
    summary:
      'Removes maintenance windows (those of the commune file stay): what was planned goes, and the devices they hold leave maintenance at the next check. Each id answers removed, not-found, from-file (remove it from the commune file) or forbidden.',
    body: z.strictObject({ ids: z.array(z.number().int()).min(1).max(100) }),
    examples: { body: { ids: [999_999] } },
    handle({ deps, user, body }) {
      const w = windows(deps);
      const now = deps.clock();
      return body.ids.map((id) => {
        const win = w.store.get(id);
        const refused = refusal(deps, user!, win);
        if (refused) return { id, result: refused };
        w.store.remove(id, now);
        deps.audit.record(user!, 'maintenance-window-remove', `window:${id}`, now, {
          reason: win!.reason,
          before: auditOf(win!),
        });
        return { id, result: 'removed' };
      });
    },
  }),
  route({
    method: 'post',
    path: '/api/maintenance/windows/edit',
    access: ['technician', 'admin', 'police', 'economics'],
    tag: 'devices',
    summary:
      "Changes a window's place, reason or schedule (the new one is checked as a new window). If an occurrence holds now, the devices of the new place stay or go into maintenance until its end and the others leave at the next check; time already spent in maintenance stays counted as such in the KPIs. Answers edited (with the window), not-found, from-file (change it in the commune file) or forbidden.",
    body: WindowBody.extend({ id: z.number().int() }),
    examples: {
      body: {
        id: 999_999,
        scope: { kind: 'hamlet', id: 'tl-ap-12' },
        reason: 'Nhà thầu bảo trì định kỳ đêm thứ Tư',
        schedule: { kind: 'weekly', days: ['wed'], at: '22:00', durationMin: 180 },
      },
    },
    handle({ deps, user, body }) {
      const now = deps.clock();
      const w = windows(deps);
      const { id, ...next } = body;
      const before = w.store.get(id);
      const refused = refusal(deps, user!, before);
      if (refused) return { id, result: refused };
      checkNew(deps, user!, next, now);
      w.edit(id, next, now);
      deps.audit.record(user!, 'maintenance-window-edit', `window:${id}`, now, {
        reason: next.reason,
        before: auditOf(before!),
        after: auditOf(next),
      });
      deps.alerting!.housekeep();
      return { id, result: 'edited', window: windowView(deps, user!, w.store.get(id)!, now) };
    },
  }),
  route({
    method: 'post',
    path: '/api/maintenance/windows/end',
    access: ['technician', 'admin', 'police', 'economics'],
    tag: 'devices',
    summary:
      "Ends the occurrence of each window holding now: its end becomes now (a one-off window's end too), its devices leave maintenance at the next check, a recurring window's later occurrences still start. The time it held stays counted as maintenance in the KPIs. Each id answers ended, not-running, not-found, from-file or forbidden.",
    body: z.strictObject({ ids: z.array(z.number().int()).min(1).max(100) }),
    examples: { body: { ids: [999_999] } },
    handle({ deps, user, body }) {
      const w = windows(deps);
      const now = deps.clock();
      return body.ids.map((id) => {
        const before = w.store.get(id);
        const refused = refusal(deps, user!, before);
        if (refused) return { id, result: refused };
        const occ = w.current(before!, now);
        if (!occ || !w.endNow(id, now)) return { id, result: 'not-running' };
        deps.audit.record(user!, 'maintenance-window-end', `window:${id}`, now, {
          reason: before!.reason,
          before: { startTs: occ.startTs, untilTs: occ.untilTs },
          after: { startTs: occ.startTs, untilTs: now },
        });
        return { id, result: 'ended' };
      });
    },
  }),
];
