/**
 * Everything the gateway takes from the wire protocol (services/protocol/), in one file, plus the
 * document shapes it publishes. Reason codes and their vi/en text are the protocol's catalogue.
 */
export { PLAYED_EVENT } from '../../services/protocol/events.ts';
export {
  GATEWAY_HEALTH,
  probeErrorMetric,
  WIFI_CLIENTS_METRIC,
} from '../../services/protocol/metrics.ts';
export { topicFor } from '../../services/protocol/topics.ts';

import type { Verdict } from '../../services/protocol/verdicts.ts';

export { VERDICTS, type Verdict } from '../../services/protocol/verdicts.ts';

/** Why: a code from services/protocol/reasons.ts and its named parameters. */
export interface Reason {
  readonly code: string;
  readonly params: Readonly<Record<string, string | number>>;
}

export type Severity = 'info' | 'warning' | 'critical';

/** `cx/v1/{commune}/{device}/status`: the verdict, on change and as a periodic refresh. */
export interface StatusDoc {
  readonly v: 1;
  /** Epoch ms UTC when the probe run that decided it ended (kept through buffering). */
  readonly ts: number;
  readonly state: Verdict;
  readonly reason: Reason;
}

/** `cx/v1/{commune}/{device}/telemetry`: the measurements of every run. */
export interface TelemetryDoc {
  readonly v: 1;
  readonly ts: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** `cx/v1/{commune}/{device}/event`: something that happened, e.g. `snmp-reboot`. */
export interface EventDoc {
  readonly v: 1;
  readonly ts: number;
  readonly type: string;
  readonly severity: Severity;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export type WireChannel = 'status' | 'telemetry' | 'event';
