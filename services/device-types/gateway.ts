import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/** A gateway box (LoRaWAN gateway, probe box at a hamlet) that reports on behalf of other devices. */
export const gateway: DeviceType = {
  kind: 'gateway',
  label: { vi: 'Bộ thu phát (gateway)', en: 'Gateway' },
  liveness: { heartbeatIntervalSec: 60, graceSec: 60 },
  sleepy: false,
  audience: ['police', 'economics', 'technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: ['cpuPct', 'memPct', 'spoolDepth'],
  isUplink: false,
  ...NO_SETTINGS,
};
