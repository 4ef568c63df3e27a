import type { DeviceCredentials } from '../auth/device-credentials.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClientBudget, CoolDown } from './client-budget.ts';

/**
 * Why the broker refused something. Stable kebab-case codes: they are counted in stats(), stored in
 * the reject log and shown by the dashboard as `reject.<reason>`. Never rename one; add a new one.
 */
export const REFUSAL_REASONS = [
  'protocol-version',
  'missing-credentials',
  'unknown-client',
  'bad-password',
  'client-id-mismatch',
  'forbidden-will',
  'forbidden-topic',
  'oversized',
  'retain-not-allowed',
  'forbidden-subscribe',
  'ingest-failed',
  'rate-limited',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface Refusal {
  readonly deviceId?: string | undefined;
  readonly clientId?: string | undefined;
  readonly topic?: string | undefined;
  /** What exactly was wrong, for the technician; never a password. */
  readonly detail: string;
  /** Kept (truncated by the reject log) so a refused reading still leaves a trace. */
  readonly payload?: Buffer | string | undefined;
}

/** What every hook needs: the directory, the limits, and one way to refuse that counts and records. */
export interface HookContext {
  readonly directory: DeviceDirectory;
  readonly credentials: DeviceCredentials;
  readonly maxPayloadBytes: number;
  readonly log: Logger;
  readonly clock: () => number;
  /** Counts the refusal, records it in the reject log and logs it at debug. Never throws. */
  refuse(reason: RefusalReason, r: Refusal): void;
  /** Per-client rate limits: CONNECTs per device id and per address (client-budget.ts). */
  readonly budget: ClientBudget;
  /**
   * Refuses as `rate-limited` something of a client in cool-down `c`. Every one is counted; only
   * the first of each cool-down gets a row in the reject log (and a warn line), so a flood cannot
   * make the log its bottleneck. Never throws.
   */
  rateLimited(c: CoolDown, r: Refusal): void;
  /** True while stop() runs: see authorize-publish.ts for why wills are then held back. */
  readonly stopping: () => boolean;
  /** A number for this client connection, unique in the process: ingest tells resends by it. */
  connectionOf(client: object): number;
}

/** MQTT 3.1.1 §3.2.2.3 CONNACK return codes (aedes declares them as a const enum, unusable here). */
export const CONNACK = {
  unacceptableProtocol: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;
