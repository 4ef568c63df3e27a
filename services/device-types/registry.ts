import type { Role } from '../../config/schema/commune.ts';
import { defineRegistry } from '../shared/registry.ts';
import { camera } from './camera.ts';
import type { DeviceType } from './device-type.ts';
import { gateway } from './gateway.ts';
import { loudspeaker } from './loudspeaker.ts';
import { networkEquipment } from './network-equipment.ts';
import { soilSensor } from './soil-sensor.ts';
import { uplink } from './uplink.ts';
import { wifiAp } from './wifi-ap.ts';

/** Every device type, once. A test checks that each file in this folder is listed here. */
export const DEVICE_TYPES: readonly DeviceType[] = [
  camera,
  loudspeaker,
  wifiAp,
  uplink,
  networkEquipment,
  soilSensor,
  gateway,
];

/** Built at import (boot), so a duplicate kind stops the service before it takes a message. */
export const deviceTypes = defineRegistry('device type', DEVICE_TYPES);

export function deviceType(kind: string): DeviceType {
  const t = deviceTypes.get(kind);
  if (!t) throw new Error(`unknown device type "${kind}"`);
  return t;
}

export function canSee(role: Role, kind: string): boolean {
  return deviceTypes.get(kind)?.audience.includes(role) ?? false;
}
