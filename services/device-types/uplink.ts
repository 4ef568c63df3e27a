import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/** Internet line, LAN switch or firewall that a site's devices sit behind. */
export const uplink: DeviceType = {
  kind: 'uplink',
  label: { vi: 'Đường truyền Internet', en: 'Internet line' },
  liveness: { heartbeatIntervalSec: 30, graceSec: 30 },
  sleepy: false,
  audience: ['police', 'technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: ['latencyMs', 'lossPct', 'downMbps', 'upMbps'],
  isUplink: true,
  ...NO_SETTINGS,
};
