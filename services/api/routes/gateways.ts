import { isEmbeddedGateway } from '../../../config/probe-targets.ts';
import type { DeviceInfo } from '../../inventory/device-directory.ts';
import { GATEWAY_HEALTH, probeErrorMetric } from '../../protocol/metrics.ts';
import { REASON_CODES } from '../../protocol/reasons.ts';
import type { Reading } from '../../store/store.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';
import { visibleDevices } from '../visibility.ts';
import { deviceView } from './devices.ts';

/** Health metric name → reason code, for every code of the catalogue (names are not parsed back). */
const ERROR_CODES = new Map(REASON_CODES.map((code) => [probeErrorMetric(code), code]));

/** A probe gateway: the commune's built-in one, or a box whose reported-for devices carry a `probe`. */
function isProbeGateway(deps: ApiDeps, d: DeviceInfo): boolean {
  if (d.type.kind !== 'gateway') return false;
  if (isEmbeddedGateway(d)) return true;
  return d.reportsFor.some((id) => deps.directory.get(id)?.config.probe !== undefined);
}

/** The gateway's last health telemetry (services/protocol/metrics.ts GATEWAY_HEALTH), or null. */
function health(latest: readonly Reading[]) {
  const byMetric = new Map(latest.map((r) => [r.metric, r]));
  const targets = byMetric.get(GATEWAY_HEALTH.targets);
  if (!targets) return null;
  const value = (m: string) => byMetric.get(m)?.value ?? null;
  const errorsByReason: Record<string, number> = {};
  for (const r of latest) {
    const code = ERROR_CODES.get(r.metric);
    // A figure of an older report (before a restart reset the counts) is not today's.
    if (code && r.ts >= targets.ts) errorsByReason[code] = r.value;
  }
  return {
    reportedTs: targets.ts,
    targets: targets.value,
    runs: value(GATEWAY_HEALTH.runs),
    lagP50Ms: value(GATEWAY_HEALTH.lagP50Ms),
    lagP99Ms: value(GATEWAY_HEALTH.lagP99Ms),
    buffered: value(GATEWAY_HEALTH.buffered),
    dropped: value(GATEWAY_HEALTH.dropped),
    errorsByReason,
  };
}

export const gatewayRoutes = [
  route({
    method: 'get',
    path: '/api/gateways',
    access: ['technician', 'admin'],
    tag: 'devices',
    summary:
      "Probe gateways' health: the built-in `<commune>-probe` of each commune and every box running `npm run gateway` the caller may see — state (unknown / adapter-not-running when the built-in one could not start), last seen, and from its last health report: targets, runs, scheduling lag p50/p99, messages buffered and dropped, runs per trouble reason since it started.",
    async handle({ deps, user }) {
      const gateways = visibleDevices(deps, user!).filter((d) => isProbeGateway(deps, d));
      const rows = await Promise.all(
        gateways.map(async (d) => {
          const v = deviceView(deps, d, user!.role);
          return {
            id: v.id,
            communeId: v.communeId,
            name: v.name,
            embedded: isEmbeddedGateway(d),
            state: v.state,
            reason: v.reason,
            params: v.params,
            sinceTs: v.sinceTs,
            lastSeenTs: v.lastHeardTs,
            probedDevices: d.reportsFor.length,
            health: health(await deps.store.latest({ deviceId: d.id })),
          };
        }),
      );
      return rows.sort((a, b) => a.id.localeCompare(b.id));
    },
  }),
];
