import { type DeviceType, NO_SETTINGS } from './device-type.ts';

/**
 * LoRaWAN soil-moisture sensor on a pilot farm. Reports every 30 min and sleeps in between, so it
 * is down only after a missed window plus grace (one lost uplink is normal on LoRa). One with a
 * `sensorModel` takes its model's interval instead: down after N missed uplinks (config/lorawan.ts).
 */
export const soilSensor: DeviceType = {
  kind: 'soil-sensor',
  label: { vi: 'Cảm biến độ ẩm đất', en: 'Soil-moisture sensor' },
  liveness: { heartbeatIntervalSec: 1800, graceSec: 2100 },
  sleepy: true,
  audience: ['economics', 'technician', 'leader', 'admin', 'province'],
  sensitive: false,
  metrics: [
    'soilMoisturePct',
    'soilTempC',
    'soilEcUsCm',
    'batteryPct',
    'batteryV',
    'rssiDbm',
    'snrDb',
    // Link health, from the LoRaWAN decoder (gateway/lorawan/events.ts).
    'gatewayCount',
    'lostUplinksPct',
    'linkMarginDb',
  ],
  isUplink: false,
  ...NO_SETTINGS,
};
