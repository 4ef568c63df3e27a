import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/** High-mast security camera (camera an ninh tầm cao). Mains powered, so a minute of silence is news. */
export const camera: DeviceType = {
  kind: 'camera',
  label: { vi: 'Camera an ninh', en: 'Security camera' },
  liveness: { heartbeatIntervalSec: 30, graceSec: 30 },
  sleepy: false,
  audience: ['police'],
  sensitive: true,
  metrics: ['clockDriftSec', 'bitrateKbps', 'recordingOk'],
  isUplink: false,
  ...NO_SETTINGS,
};
