import { groupOutages } from '../../outages/group.ts';
import { route } from '../route.ts';
import { visibleDevices } from '../visibility.ts';
import { deviceView } from './devices.ts';

/** What a technician's page shows of one device: where it is and how it is now. */
function brief(v: ReturnType<typeof deviceView>) {
  return {
    id: v.id,
    communeId: v.communeId,
    name: v.name,
    type: v.type,
    typeLabel: v.typeLabel,
    state: v.state,
    reason: v.reason,
    params: v.params,
    sinceTs: v.sinceTs,
    hamletId: v.hamletId,
    hamletName: v.hamletName,
    siteId: v.siteId,
    siteName: v.siteName,
    siteKind: v.siteKind,
  };
}

export const outagesRoutes = [
  route({
    method: 'get',
    path: '/api/outages',
    access: ['technician', 'admin'],
    tag: 'devices',
    summary:
      "The technicians' view: what is down, unreachable or degraded now, grouped by root cause (devices behind a failing upstream listed under it, not as outages of their own), worst and oldest first; and the internet lines, community-house Wi-Fi APs and loudspeakers (by hamlet) the caller may see.",
    handle({ deps, user }) {
      const views = visibleDevices(deps, user!).map((d) => brief(deviceView(deps, d, user!.role)));
      const byName = (a: { name: string }, b: { name: string }) =>
        a.name.localeCompare(b.name, 'vi', { numeric: true });
      return {
        outages: groupOutages(views),
        uplinks: views.filter((d) => d.type === 'uplink').sort(byName),
        wifiAps: views.filter((d) => d.type === 'wifi-ap' && d.siteKind === 'cultural-house').sort(byName),
        loudspeakers: views.filter((d) => d.type === 'loudspeaker').sort(byName),
      };
    },
  }),
];
