import { reportersOf, upstreamsOf } from '../../config/dependencies.ts';
import type { Config } from '../../config/load.ts';
import { lorawanLiveness } from '../../config/lorawan.ts';
import type { CommuneFile, DeviceConfig } from '../../config/schema/commune.ts';
import type { DeviceSettings, DeviceType } from '../device-types/device-type.ts';
import { deviceType } from '../device-types/registry.ts';

/** Everything the hot path needs about one device, resolved once at boot. */
export interface DeviceInfo {
  readonly id: string;
  readonly communeId: string;
  readonly type: DeviceType;
  readonly name: string;
  readonly siteId: string;
  readonly hamletId: string;
  /**
   * What this device depends on (its `dependsOn`, else its site's uplink): it is unreachable, not
   * down, when every one of them is down.
   */
  readonly upstreamIds: readonly string[];
  /** The first of upstreamIds, for the API and dashboard that show one upstream. */
  readonly upstreamId: string | null;
  /** Adapters or gateways that may publish for this device (its `reportedBy`). */
  readonly reportedBy: readonly string[];
  /** Devices this adapter or gateway may publish for (those whose `reportedBy` names it). */
  readonly reportsFor: readonly string[];
  readonly heartbeatIntervalSec: number;
  readonly graceSec: number;
  /** Uptime counts from this instant (00:00 Asia/Ho_Chi_Minh on the commissioning date). */
  readonly commissionedTs: number;
  /** `settings:` of the commune file as the type's schema reads them (defaults filled in). */
  readonly settings: DeviceSettings;
  readonly config: DeviceConfig;
}

/** 00:00 in Vietnam (UTC+7, no DST) on an ISO date. */
export function vnMidnightTs(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00+07:00`);
}

export class DeviceDirectory {
  readonly byId: ReadonlyMap<string, DeviceInfo>;
  readonly communes: ReadonlyMap<string, CommuneFile>;

  constructor(config: Pick<Config, 'communes'>) {
    const byId = new Map<string, DeviceInfo>();
    const communes = new Map<string, CommuneFile>();
    for (const c of config.communes) {
      communes.set(c.commune.id, c);
      const sites = new Map(c.sites.map((s) => [s.id, s]));
      for (const d of c.devices) {
        const site = sites.get(d.site)!;
        const type = deviceType(d.type);
        const upstreamIds = upstreamsOf(d, site.uplink);
        // A LoRaWAN sensor's window comes from its model: N missed uplink intervals.
        const liveness = d.liveness ?? lorawanLiveness(d) ?? type.liveness;
        byId.set(d.id, {
          id: d.id,
          communeId: c.commune.id,
          type,
          name: d.name,
          siteId: d.site,
          hamletId: site.hamlet,
          upstreamIds,
          upstreamId: upstreamIds[0] ?? null,
          reportedBy: reportersOf(d),
          reportsFor: c.devices.filter((o) => reportersOf(o).includes(d.id)).map((o) => o.id),
          heartbeatIntervalSec: liveness.heartbeatIntervalSec,
          graceSec: liveness.graceSec,
          commissionedTs: vnMidnightTs(d.commissionedAt ?? d.installedAt),
          // Already validated at load (config/load.ts), so parse cannot throw on a loaded config.
          settings: type.configSchema.parse(d.settings ?? {}),
          config: d,
        });
      }
    }
    this.byId = byId;
    this.communes = communes;
  }

  get(id: string): DeviceInfo | undefined {
    return this.byId.get(id);
  }

  all(): IterableIterator<DeviceInfo> {
    return this.byId.values();
  }
}
