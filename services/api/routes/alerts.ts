import { z } from 'zod';
import type { AlertRow } from '../../alerts/alert-store.ts';
import { ReportAlerts } from '../../alerts/report-alerts.ts';
import { ruleRoles } from '../../alerts/routing.ts';
import type { User } from '../../auth/users.ts';
import { canSee } from '../../device-types/registry.ts';
import { isCameraMaintainerOf } from '../../inventory/camera-maintainers.ts';
import { CxError } from '../../shared/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { inScope } from '../visibility.ts';

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const COMMUNE_ROLES = ['police', 'economics', 'technician', 'leader', 'admin'] as const;

/** Whether this user may see an alert: its device is one their role sees (cameras: police and the commune's camera maintainers). */
function sees(deps: ApiDeps, user: User, a: AlertRow): boolean {
  if (ReportAlerts.owns(a)) return inScope(user, a.communeId) && reportReaders(deps, a).includes(user.role);
  const d = deps.directory.get(a.deviceId);
  if (!d || !inScope(user, a.communeId)) return false;
  if (canSee(user.role, d.type.kind)) return true;
  return (
    d.type.kind === 'camera' && isCameraMaintainerOf(deps.directory.communes.get(a.communeId), user.username)
  );
}

/** A report alert (no device) is for the roles its rule tells, and the commune's admins. */
function reportReaders(deps: ApiDeps, a: AlertRow): readonly string[] {
  const c = deps.directory.communes.get(a.communeId);
  return [...((c && ruleRoles(c, a.ruleId)) ?? ['leader']), 'admin'];
}

const REPORT_TYPE = { kind: 'report', label: { vi: 'Báo cáo định kỳ', en: 'Scheduled report' } };

function alerting(deps: ApiDeps) {
  if (!deps.alerting) throw new CxError('CX_NOT_FOUND', 'alerts are not running in this process');
  return deps.alerting;
}

/** What the page shows of an alert: where, since when, why, and what is behind it that the reader may see. */
function alertView(deps: ApiDeps, user: User, a: AlertRow) {
  // A report alert's subject is its schedule, in no place: report-alerts.ts.
  const d = deps.directory.get(a.deviceId) ?? {
    name: String(a.params.schedule ?? a.deviceId),
    type: REPORT_TYPE,
    hamletId: '',
    siteId: '',
  };
  const commune = deps.directory.communes.get(a.communeId);
  const behind = a.behind
    .map((id) => deps.directory.get(id))
    .filter((b) => b !== undefined && canSee(user.role, b.type.kind))
    .map((b) => ({ id: b!.id, name: b!.name, type: b!.type.kind }));
  return {
    id: a.id,
    communeId: a.communeId,
    status: a.status,
    severity: a.severity,
    kind: a.kind,
    ruleId: a.ruleId,
    deviceId: a.deviceId,
    deviceName: d.name,
    type: d.type.kind,
    typeLabel: d.type.label,
    hamletId: d.hamletId,
    hamletName: commune?.hamlets.find((h) => h.id === d.hamletId)?.name ?? '',
    siteName: commune?.sites.find((s) => s.id === d.siteId)?.name ?? '',
    state: a.state,
    reason: a.reason,
    params: a.params,
    sinceTs: a.sinceTs,
    openedTs: a.openedTs,
    behind,
    behindCount: a.behind.length,
    step: a.step,
    repeats: a.repeats,
    ackedBy: a.ackedBy,
    ackedTs: a.ackedTs,
    ackNote: a.ackNote,
    ackUntilTs: a.ackUntilTs,
    resolvedTs: a.resolvedTs,
    resolvedBy: a.resolvedBy,
    resolveNote: a.resolveNote,
    // Since when its device is in maintenance or a window (no repeats, no escalation); null if not.
    suppressedSinceTs: a.suppressedSinceTs,
  };
}

const Action = z.strictObject({
  ids: z.array(z.number().int().min(1)).min(1).max(500),
  note: z.string().trim().max(500).default(''),
});

/** Applies an action to each alert the user may see; the others are listed as refused, never touched. */
function apply(
  deps: ApiDeps,
  user: User,
  ids: readonly number[],
  action: 'alert-acknowledge' | 'alert-resolve',
  fn: (id: number) => boolean,
) {
  const done: number[] = [];
  const refused: number[] = [];
  for (const id of ids) {
    const a = alerting(deps).engine.alerts.get(id);
    if (a && sees(deps, user, a) && fn(id)) {
      deps.audit.record(user, action, `alert:${id}`, deps.clock());
      done.push(id);
    } else refused.push(id);
  }
  return { done, refused };
}

export const alertRoutes = [
  route({
    method: 'get',
    path: '/api/alerts',
    access: 'signed-in',
    tag: 'alerts',
    summary:
      'Open alerts (worst severity first, then hamlet, then oldest) or the history of resolved ones, limited to the devices the caller may see.',
    query: z.strictObject({
      status: z.enum(['open', 'history']).default('open'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    handle({ deps, user, query }) {
      const rows =
        query.status === 'open'
          ? alerting(deps).engine.alerts.open()
          : alerting(deps).engine.alerts.history(5000);
      const views = rows.filter((a) => sees(deps, user!, a)).map((a) => alertView(deps, user!, a));
      if (query.status === 'open')
        views.sort(
          (a, b) =>
            (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) ||
            a.hamletName.localeCompare(b.hamletName, 'vi', { numeric: true }) ||
            a.sinceTs - b.sinceTs,
        );
      return { alerts: views.slice(0, query.limit) };
    },
  }),
  route({
    method: 'post',
    path: '/api/alerts/acknowledge',
    access: COMMUNE_ROLES,
    tag: 'alerts',
    summary:
      'Acknowledges open alerts with a note, for `hours` (default alerts.ackHours) after which an alert still open fires again; stops escalation. Audit-logged.',
    body: Action.extend({ hours: z.number().min(0.01).max(720).optional() }),
    examples: { body: { ids: [1], note: 'Đang đến kiểm tra' } },
    handle({ deps, user, body }) {
      const s = alerting(deps);
      const until = body.hours === undefined ? s.defaultAckUntil() : deps.clock() + body.hours * 3_600_000;
      return apply(deps, user!, body.ids, 'alert-acknowledge', (id) =>
        s.engine.acknowledge(id, user!.username, body.note, until),
      );
    },
  }),
  route({
    method: 'post',
    path: '/api/alerts/resolve',
    access: COMMUNE_ROLES,
    tag: 'alerts',
    summary:
      'Resolves open alerts by hand with a note; whoever was told gets the recovery message, and the same episode never reopens. Audit-logged.',
    body: Action,
    examples: { body: { ids: [1], note: 'Đã thay dây' } },
    handle({ deps, user, body }) {
      const s = alerting(deps);
      return apply(deps, user!, body.ids, 'alert-resolve', (id) =>
        s.engine.resolve(id, user!.username, body.note),
      );
    },
  }),
  route({
    method: 'get',
    path: '/api/alerts/notifiers',
    access: ['technician', 'admin'],
    tag: 'alerts',
    summary:
      "Each notifier's health: backlog (pending, oldest), sent, set aside, failed attempts since start, last error, and any pause a provider asked for. Never a secret.",
    handle({ deps }) {
      return { notifiers: alerting(deps).dispatcher.status() };
    },
  }),
];
