/**
 * Metric names that more than one side of the wire must agree on: the probe or device that
 * measures, the simulator that plays it, the device type that declares it and the dashboard that
 * charts it. A name spelt twice drifted once (the SNMP probe's `wifiClients` against the AP
 * type's `clientCount`, so the technicians' page found no clients): spell it here.
 */

/**
 * Wi-Fi clients associated with an access point now (a count, not a rate): what an AP reports of
 * itself and what the SNMP probe reads from the vendor MIB. `clientCount` because that is the name
 * readings were stored under before the probe existed.
 */
export const WIFI_CLIENTS_METRIC = 'clientCount';

/**
 * A probe gateway's own health, sent as its own telemetry with each heartbeat (the embedded
 * `<commune>-probe` and a box running `npm run gateway` alike), so the API reads every gateway's
 * health from one place, the store. Counts are since the gateway started.
 */
export const GATEWAY_HEALTH = {
  /** Targets it schedules. */
  targets: 'probeTargetCount',
  /** Probe runs done. */
  runs: 'probeRunCount',
  /** Scheduling lag (due → slot taken) over its last runs. */
  lagP50Ms: 'probeLagP50Ms',
  lagP99Ms: 'probeLagP99Ms',
  /** Messages on disk the broker has not acknowledged yet. */
  buffered: 'spoolDepth',
  /** Messages refused because the disk buffer was full. */
  dropped: 'droppedCount',
} as const;

const ERROR_PREFIX = 'probeErr';
const ERROR_SUFFIX = 'Count';

/**
 * Runs whose result had this (non-ok) reason: `probe-timeout` → `probeErrProbeTimeoutCount`. A
 * reader maps names back through the catalogue (reasons.ts), not by parsing them.
 */
export function probeErrorMetric(code: string): string {
  return `${ERROR_PREFIX}${code.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}${ERROR_SUFFIX}`;
}
