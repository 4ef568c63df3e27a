import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/** Smart public-address loudspeaker (loa truyền thanh thông minh), IP or 4G. */
export const loudspeaker: DeviceType = {
  kind: 'loudspeaker',
  label: { vi: 'Loa truyền thanh thông minh', en: 'Smart loudspeaker' },
  liveness: { heartbeatIntervalSec: 60, graceSec: 60 },
  sleepy: false,
  audience: ['technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: ['volumePct', 'rssiDbm', 'playing'],
  isUplink: false,
  ...NO_SETTINGS,
};
