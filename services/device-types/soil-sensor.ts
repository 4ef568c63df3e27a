import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/**
 * LoRaWAN soil-moisture sensor on a pilot farm. Reports every 30 min and sleeps in between, so it
 * is down only after a missed window plus grace (one lost uplink is normal on LoRa).
 */
export const soilSensor: DeviceType = {
  kind: 'soil-sensor',
  label: { vi: 'Cảm biến độ ẩm đất', en: 'Soil-moisture sensor' },
  liveness: { heartbeatIntervalSec: 1800, graceSec: 2100 },
  sleepy: true,
  audience: ['economics', 'technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: ['soilMoisturePct', 'soilTempC', 'batteryPct', 'rssiDbm', 'snrDb'],
  isUplink: false,
  ...NO_SETTINGS,
};
