/**
 * Everything the gateway takes from the wire protocol, in one file. The protocol module
 * (services/protocol/: topic scheme, payload schemas, verdicts, reasons) is being written at the
 * same time; at merge this file re-exports from it and nothing else in gateway/ changes.
 * TODO(#11): switch to services/protocol once it lands; this is the only import of ingest.
 */
export { topicFor } from '../../services/ingest/topics.ts';

/** What a probe concluded. `unknown` = the monitoring could not judge, never "device down". */
export type Verdict = 'up' | 'degraded' | 'down' | 'unknown';
export const VERDICTS: readonly Verdict[] = ['up', 'degraded', 'down', 'unknown'];

/** Why: a stable code from the catalogue (gateway/probes/reasons.ts) and its named parameters. */
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
