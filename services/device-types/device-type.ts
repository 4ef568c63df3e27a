import { z } from 'zod';
import type { Role } from '../../config/schema/commune.ts';
import type { Configurable, Registered } from '../shared/registry.ts';

/** A device's own settings (commune file `devices[].settings`), checked by its type's schema at load. */
export type DeviceSettings = Readonly<Record<string, unknown>>;

/**
 * What the service knows about a kind of device: how often it must be heard from, who may see it.
 * One file per kind, listed in registry.ts. `kind` is stored in config and the database: never rename it.
 */
export interface DeviceType extends Registered, Configurable<DeviceSettings> {
  /** Stable kebab-case name used in commune files (`type: camera`). */
  readonly kind: string;
  readonly label: { readonly vi: string; readonly en: string };
  /**
   * Liveness: the device is late when nothing was heard for heartbeatIntervalSec + graceSec.
   * A device is up while it keeps inside that window; out of it, it is down.
   */
  readonly liveness: { readonly heartbeatIntervalSec: number; readonly graceSec: number };
  /**
   * Sleepy devices (battery LoRa sensors) drop their link between reports by design, so a lost
   * connection or a last will says nothing about them: only a missed report window does.
   */
  readonly sleepy: boolean;
  /**
   * Roles that may see these devices at all. Cameras are for the commune police only. Naming
   * `province` also puts the type in the IOC feed (services/ioc/views.ts), unless it is sensitive.
   */
  readonly audience: readonly Role[];
  /** Marked sensitive: every read is written to the audit log. */
  readonly sensitive: boolean;
  /** Telemetry metric names the type is expected to report (camelCase with units). */
  readonly metrics: readonly string[];
  /** Devices of this type are the uplink others sit behind. */
  readonly isUplink: boolean;
}

/**
 * For a type that takes no per-device settings yet: `settings:` must then be absent or empty, so
 * a setting written for a type that does not read it is an error at load, not silently ignored.
 */
export const NO_SETTINGS: Configurable<DeviceSettings> = {
  configSchema: z.strictObject({}),
  exampleConfig: {},
};
