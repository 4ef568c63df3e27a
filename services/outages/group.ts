/**
 * The technicians' "what is wrong now" view, grouped by root cause (issue #11 item 6): a device
 * whose reason is `upstream-down` / `upstream-degraded` is listed under that upstream, so one dead
 * internet line with twenty devices behind it is one outage, not twenty. Pure: the route hands in
 * the device views it may show and gets the groups back.
 */
import type { DeviceState } from '../availability/states.ts';

/** What the grouping reads of a device (a subset of the API's device view). */
export interface OutageDeviceInput {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: Readonly<Record<string, string | number>>;
  readonly sinceTs: number | null;
  readonly hamletId: string;
  readonly hamletName: string;
  readonly siteId: string;
  readonly siteName: string;
}

export interface Outage<D extends OutageDeviceInput = OutageDeviceInput> {
  /** The root cause's device id (an upstream named by its dependants, or the failing device itself). */
  readonly causeId: string;
  /**
   * The root cause when the caller may see it; null when only its dependants are visible (the
   * reason's params still name it and its type).
   */
  readonly cause: D | null;
  /** Worst state among the cause and the devices behind it. */
  readonly state: DeviceState;
  /** Earliest `sinceTs` of the group: when the outage began as far as we know. */
  readonly sinceTs: number | null;
  /** Devices affected through the cause, by name. */
  readonly behind: readonly D[];
}

const UPSTREAM_REASONS = new Set(['upstream-down', 'upstream-degraded']);
/** States that are an outage on their own; `unknown` is monitoring not knowing, `maintenance` planned. */
const BAD: ReadonlySet<DeviceState> = new Set(['down', 'unreachable', 'degraded']);
const RANK: Record<DeviceState, number> = {
  down: 0,
  unreachable: 1,
  degraded: 2,
  unknown: 3,
  maintenance: 4,
  up: 5,
};

function upstreamOf(d: OutageDeviceInput): string | null {
  if (d.state === 'maintenance' || !UPSTREAM_REASONS.has(d.reason)) return null;
  const id = d.params.deviceId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/**
 * Outages now: worst state first, then the oldest first (it has waited longest). A device behind a
 * cause is never listed as an outage of its own; a cause that is itself up (a degraded upstream is
 * judged on its own verdict) still heads its group while devices name it.
 */
export function groupOutages<D extends OutageDeviceInput>(devices: Iterable<D>): Outage<D>[] {
  const byId = new Map<string, D>();
  for (const d of devices) byId.set(d.id, d);
  const behind = new Map<string, D[]>();
  const roots = new Set<string>();
  for (const d of byId.values()) {
    const up = upstreamOf(d);
    if (up !== null) behind.set(up, [...(behind.get(up) ?? []), d]);
    else if (BAD.has(d.state)) roots.add(d.id);
  }
  for (const id of behind.keys()) roots.add(id);
  const out: Outage<D>[] = [];
  for (const id of roots) {
    const cause = byId.get(id) ?? null;
    const list = [...(behind.get(id) ?? [])].sort((a, b) =>
      a.name.localeCompare(b.name, 'vi', { numeric: true }),
    );
    const all = cause ? [cause, ...list] : list;
    const state = all.reduce<DeviceState>((w, d) => (RANK[d.state] < RANK[w] ? d.state : w), 'up');
    const since = all.map((d) => d.sinceTs).filter((t): t is number => t !== null);
    out.push({
      causeId: id,
      cause,
      state,
      sinceTs: since.length ? Math.min(...since) : null,
      behind: list,
    });
  }
  return out.sort(
    (a, b) =>
      RANK[a.state] - RANK[b.state] ||
      (a.sinceTs ?? Number.MAX_SAFE_INTEGER) - (b.sinceTs ?? Number.MAX_SAFE_INTEGER) ||
      a.causeId.localeCompare(b.causeId),
  );
}
