import { WIFI_CLIENTS_METRIC } from '../protocol/metrics.ts';
import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/** Free public Wi-Fi access point at a community house, school or health station. */
export const wifiAp: DeviceType = {
  kind: 'wifi-ap',
  label: { vi: 'Điểm phát Wi-Fi công cộng', en: 'Public Wi-Fi access point' },
  liveness: { heartbeatIntervalSec: 60, graceSec: 60 },
  sleepy: false,
  audience: ['technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: [WIFI_CLIENTS_METRIC, 'throughputMbps', 'cpuPct'],
  isUplink: false,
  ...NO_SETTINGS,
};
