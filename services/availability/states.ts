import type { ReasonParams } from '../protocol/reasons.ts';

/** The states a device can be in; every interval of evidence carries one of them. */
export const STATES = ['up', 'degraded', 'down', 'unreachable', 'maintenance', 'unknown'] as const;
export type DeviceState = (typeof STATES)[number];

export type { ReasonParams };

export interface StateChange {
  readonly deviceId: string;
  readonly communeId: string;
  readonly from: DeviceState;
  readonly state: DeviceState;
  /** A code of services/protocol/reasons.ts, rendered through the i18n catalogue as `reason.<code>`. */
  readonly reason: string;
  readonly params: ReasonParams;
  readonly sinceTs: number;
  readonly lastHeardTs: number | null;
}
