import type { LiveView } from './engine.ts';

/**
 * What the API (and the IOC feed) needs of live availability: a device's current state, and the
 * maintenance switch. Embedded mode: the AvailabilityEngine itself. External-broker mode:
 * ClusterLiveStates (services/ingest/external/cluster-view.ts), over the shards this process holds
 * and `device_status` for the others.
 */
export interface LiveStates {
  /**
   * The device's state now, the reason code and params of its open interval, since when (epoch
   * ms), and when it was last heard from (epoch ms, our receive clock); undefined for a device
   * this view does not know (not in the inventory, or never tracked).
   */
  get(deviceId: string): LiveView | undefined;
  /**
   * Puts a commissioned device in (on) or out of maintenance, from now, kept until taken off across
   * restarts and takeovers (`setBy`: the username, recorded with it, with the reason and the
   * planned end, epoch ms, at which the engine ends it by itself); no-op for one not yet
   * commissioned. Throws CxError CX_SHARD_ELSEWHERE (409) when another process owns its state.
   */
  setMaintenance(
    deviceId: string,
    on: boolean,
    setBy?: string | null,
    plan?: { readonly reason?: string | null; readonly untilTs?: number | null },
  ): void;
}
