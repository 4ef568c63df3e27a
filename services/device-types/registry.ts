import type { Role } from '../../config/schema/commune.ts';
import { camera } from './camera.ts';
import type { DeviceType } from './device-type.ts';
import { gateway } from './gateway.ts';
import { loudspeaker } from './loudspeaker.ts';
import { soilSensor } from './soil-sensor.ts';
import { uplink } from './uplink.ts';
import { wifiAp } from './wifi-ap.ts';

/** Every device type, once. A test checks that each file in this folder is listed here. */
export const DEVICE_TYPES: readonly DeviceType[] = [camera, loudspeaker, wifiAp, uplink, soilSensor, gateway];

function toMap(list: readonly DeviceType[]): ReadonlyMap<string, DeviceType> {
  const map = new Map<string, DeviceType>();
  for (const t of list) {
    if (!/^[a-z][a-z0-9-]*$/.test(t.kind)) throw new Error(`device type kind "${t.kind}" is not kebab-case`);
    if (map.has(t.kind)) throw new Error(`device type kind "${t.kind}" is registered twice`);
    map.set(t.kind, t);
  }
  return map;
}

/** Built at import (boot), so a duplicate kind stops the service before it takes a message. */
export const deviceTypes = toMap(DEVICE_TYPES);

export function deviceType(kind: string): DeviceType {
  const t = deviceTypes.get(kind);
  if (!t) throw new Error(`unknown device type "${kind}"`);
  return t;
}

export function canSee(role: Role, kind: string): boolean {
  return deviceTypes.get(kind)?.audience.includes(role) ?? false;
}
