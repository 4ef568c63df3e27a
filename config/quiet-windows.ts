import { deviceTypes } from '../services/device-types/registry.ts';
import type { CommuneFile } from './schema/commune.ts';

/**
 * Cross-checks of a commune's windows, quiet hours and digest against its own inventory: each
 * problem names the file, the path and the fix (STYLE.md §4).
 */
export function quietWindowProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const users = new Set(c.users.map((u) => u.username));
  const places = {
    device: new Set(c.devices.map((d) => d.id)),
    site: new Set(c.sites.map((s) => s.id)),
    hamlet: new Set(c.hamlets.map((h) => h.id)),
  };
  const ids = new Set<string>();
  c.alerts.windows.forEach((w, i) => {
    if (ids.has(w.id))
      out.push(
        `${file}: alerts.windows[${i}].id — "${w.id}" is used twice. Fix: give each window its own id.`,
      );
    ids.add(w.id);
    if (!places[w.scope.kind].has(w.scope.id))
      out.push(
        `${file}: alerts.windows[${i}].scope.id — "${w.scope.id}" is not a ${w.scope.kind} of this commune. Fix: use an id of ${w.scope.kind === 'device' ? 'devices' : `${w.scope.kind}s`}:.`,
      );
  });
  const exempt = (path: string, types: readonly string[]) =>
    types.forEach((t, j) => {
      if (!deviceTypes.has(t))
        out.push(
          `${file}: ${path}.exemptDeviceTypes[${j}] — "${t}" is not a device type. Fix: use one of ${[...deviceTypes.keys()].join(', ')}.`,
        );
    });
  if (c.alerts.quietHours) exempt('alerts.quietHours', c.alerts.quietHours.exemptDeviceTypes);
  c.users.forEach((u, i) => {
    if (u.quietHours) exempt(`users[${i}].quietHours`, u.quietHours.exemptDeviceTypes);
  });
  c.alerts.digest?.users?.forEach((u, j) => {
    if (!users.has(u))
      out.push(
        `${file}: alerts.digest.users[${j}] — "${u}" is not a user of this commune. Fix: use a username of users:.`,
      );
  });
  return out;
}
