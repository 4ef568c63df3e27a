import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/**
 * A firewall, LAN switch or router inside a site: devices may depend on it (`dependsOn`), but it
 * is not the site's internet line, so it is listed and counted apart from the lines (issue #17:
 * a FortiGate under "Đường truyền Internet" confused technicians). Probed like a line.
 */
export const networkEquipment: DeviceType = {
  kind: 'network-equipment',
  label: { vi: 'Thiết bị mạng', en: 'Network equipment' },
  liveness: { heartbeatIntervalSec: 30, graceSec: 30 },
  sleepy: false,
  audience: ['police', 'technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: ['latencyMs', 'lossPct', 'cpuPct'],
  isUplink: false,
  ...NO_SETTINGS,
};
