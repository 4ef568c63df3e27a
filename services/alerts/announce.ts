import type { AlertsConfig } from '../../config/schema/alerts.ts';
import type { Role } from '../../config/schema/commune.ts';
import { canSee } from '../device-types/registry.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { NotifyDispatcher } from '../notify/dispatcher.ts';
import { type AlertEvent, type AlertFacts, renderMessage } from '../notify/message.ts';
import type { AlertRow } from './alert-store.ts';
import type { DeviceFacts } from './conditions.ts';
import type { HamletGroup } from './hamlet-groups.ts';
import { cameraExtras, type Recipient, recipients, ruleRoles } from './routing.ts';
import { quietUntil } from './windows/occurrences.ts';

/** What a message says about an alert, from its row and the inventory. */
export function alertFacts(
  a: AlertRow,
  directory: DeviceDirectory,
  cfg: Pick<AlertsConfig, 'flapping'>,
  minutesOf: (a: AlertRow) => number,
): AlertFacts {
  const d = directory.get(a.deviceId);
  const commune = directory.communes.get(a.communeId);
  const site = commune?.sites.find((s) => s.id === d?.siteId);
  const hamlet = commune?.hamlets.find((h) => h.id === d?.hamletId);
  return {
    id: a.id,
    kind: a.kind,
    ruleId: a.ruleId,
    severity: a.severity,
    minutes: minutesOf(a),
    deviceId: a.deviceId,
    deviceName: d?.name ?? a.deviceId,
    typeLabel: d?.type.label ?? { vi: '', en: '' },
    hamletName: hamlet?.name ?? '',
    siteName: site?.name ?? '',
    state: a.state,
    reason: a.reason,
    params: a.params,
    sinceTs: a.sinceTs,
    resolvedTs: a.resolvedTs,
    behind: a.behind.map((id) => directory.get(id)?.name ?? id),
    ...(a.kind === 'flapping' ? { flapping: cfg.flapping } : {}),
  };
}

export function deviceFacts(directory: DeviceDirectory, id: string): DeviceFacts | undefined {
  const d = directory.get(id);
  return (
    d && {
      id: d.id,
      type: d.type.kind,
      hamletId: d.hamletId,
      siteId: d.siteId,
      contractor: d.config.contractor,
    }
  );
}

/**
 * Queues one alert event for everyone it concerns, in the caller's transaction: the users of the
 * escalation step (by their contact fields, in their language) and every webhook of the commune;
 * a recovery goes to whoever was told before. Returns the rows queued.
 */
export function announce(
  deps: { directory: DeviceDirectory; dispatcher: NotifyDispatcher; config: AlertsConfig },
  a: AlertRow,
  event: AlertEvent,
  facts: AlertFacts,
  now: number,
  /** Grouping by hamlet (hamlet-groups.ts): people's messages of an opening wait for their group. */
  group?: HamletGroup,
): number {
  const commune = deps.directory.communes.get(a.communeId);
  const d = deviceFacts(deps.directory, a.deviceId);
  if (!commune || !d) return 0;
  const byName = new Map(commune.users.map((u) => [u.username, u]));
  const roles = ruleRoles(commune, a.ruleId);
  let users: Recipient[];
  if (event === 'resolve') {
    users = deps.dispatcher.outbox
      .told(a.id)
      .map((t) => (t.username ? byName.get(t.username) : undefined))
      .filter((u): u is Recipient => u !== undefined);
    // An episode seen only after it ended (the service was down meanwhile): tell the first step.
    if (users.length === 0) users = recipients(commune, d, 0, roles);
  } else users = [...recipients(commune, d, a.step, roles), ...cameraExtras(commune, d, a.step)];
  const unique = [...new Map(users.map((u) => [u.username, u])).values()];
  // Each reader sees the names of the devices behind the cause that their role may see: a
  // technician is told how many devices a dead line cut off, never a camera's name.
  const behindFor = (role: Role): AlertFacts => ({
    ...facts,
    behindCount: a.behind.length,
    behind: a.behind
      .filter((id) => {
        const t = deps.directory.get(id)?.type.kind;
        return t !== undefined && canSee(role, t);
      })
      .map((id) => deps.directory.get(id)!.name)
      .sort((x, y) => x.localeCompare(y, 'vi', { numeric: true })),
  });
  let queued = 0;
  for (const { entry, kind, instance } of deps.dispatcher.entries()) {
    if (entry.communes && !entry.communes.includes(a.communeId)) continue;
    if (instance.accepts && !instance.accepts({ severity: a.severity, event, deviceType: d.type })) continue;
    const grouped = group !== undefined && event === 'fire' && kind.contactField !== null;
    const render = (locale: 'vi' | 'en', role: Role) =>
      renderMessage(behindFor(role), event, locale, {
        publicBaseUrl: deps.config.publicBaseUrl,
        maxLength: kind.maxLength,
        groupable: grouped,
      });
    if (kind.contactField === null) {
      // Names as the province sees them (never a camera's). A webhook takes the lifecycle once (opened, fired again, resolved), not each reminder.
      if (event === 'fire' || event === 'refire' || event === 'resolve') {
        deps.dispatcher.outbox.enqueue({
          notifier: entry.name,
          alertId: a.id,
          event,
          username: null,
          address: '',
          message: render('vi', 'province'),
          now,
        });
        queued++;
      }
      continue;
    }
    for (const u of unique) {
      const address = u.contact?.[kind.contactField];
      if (!address) continue;
      deps.dispatcher.outbox.enqueue({
        notifier: entry.name,
        alertId: a.id,
        event,
        username: u.username,
        address,
        message: render(u.locale, u.role),
        now,
        ...(grouped ? { group } : {}),
        // Quiet hours (the user's, else the commune's) hold non-exempt messages; none is dropped.
        heldUntilTs: quietUntil(
          u.quietHours ?? commune.alerts.quietHours,
          { severity: a.severity, deviceType: d.type },
          now,
        ),
      });
      queued++;
    }
  }
  return queued;
}
