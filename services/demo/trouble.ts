import type { Config } from '../../config/load.ts';
import type { TroubleCandidate } from '../../gateway/simulator/demo-trouble.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';

/** The service's devices as the demo's trouble plan sees them (gateway/simulator/demo-trouble.ts). */
export function troubleCandidates(config: Config, directory: DeviceDirectory): TroubleCandidate[] {
  const targets = new Map(config.probeTargets.map((t) => [t.deviceId, t]));
  const all = [...directory.all()];
  return all.map((d) => {
    const probe = targets.get(d.id)?.config as { latencyDegradedMs?: unknown } | undefined;
    return {
      id: d.id,
      communeId: d.communeId,
      kind: d.type.kind,
      probed: targets.has(d.id),
      ...(targets.has(d.id) ? { probeKind: targets.get(d.id)!.kind } : {}),
      latencyThreshold: probe?.latencyDegradedMs !== undefined,
      dependents: all.filter((x) => x.upstreamIds.includes(d.id)).length,
    };
  });
}
