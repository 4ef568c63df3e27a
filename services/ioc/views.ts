import type { LiveView } from '../availability/engine.ts';
import type { DeviceState, ReasonParams } from '../availability/states.ts';
import type { DeviceType } from '../device-types/device-type.ts';
import type { DeviceDirectory, DeviceInfo } from '../inventory/device-directory.ts';
import { siteLocationFor } from '../inventory/site-location.ts';
import { type CountsByType, countStates } from '../kpi/counts.ts';
import { fromMs, type StateSpan, sumMs, type Uptime, uptimePct } from '../kpi/uptime.ts';
import type { Db } from '../store/db.ts';

/**
 * What the IOC feed (API v1 and webhooks) is built from. Every view here goes through
 * `iocDevices`, so a camera, or any type not meant for the province, cannot appear in any of them.
 */
export interface IocSources {
  readonly directory: DeviceDirectory;
  readonly availability: { get(deviceId: string): LiveView | undefined };
  readonly db: Db;
  readonly clock: () => number;
}

/** The province sees a type only when its audience names the province and it is not sensitive (cameras). */
export function iocVisibleType(type: DeviceType): boolean {
  return type.audience.includes('province') && !type.sensitive;
}

/** Devices the feed may show, of the given communes (all when null), in directory order. */
export function iocDevices(src: IocSources, communes: readonly string[] | null): DeviceInfo[] {
  return [...src.directory.all()].filter(
    (d) => iocVisibleType(d.type) && (communes === null || communes.includes(d.communeId)),
  );
}

/** Communes of the deployment, limited to `communes` when given. */
export function iocCommunes(src: IocSources, communes: readonly string[] | null): string[] {
  return [...src.directory.communes.keys()].filter((id) => communes === null || communes.includes(id));
}

export interface CommuneSummary extends CountsByType {
  readonly communeId: string;
  readonly name: string;
  readonly province: string;
  readonly devices: number;
  readonly availability: Uptime & {
    readonly fromTs: number;
    readonly toTs: number;
    readonly byType: Record<string, Uptime>;
  };
}

/** Counts by state and type now, and availability over the last `windowMs`, of one commune. */
export function communeSummary(src: IocSources, communeId: string, windowMs: number): CommuneSummary {
  const toTs = src.clock();
  const fromTs = toTs - windowMs;
  const devices = iocDevices(src, [communeId]);
  const spans = src.db.prepare(
    `SELECT state, start_ts AS startTs, end_ts AS endTs FROM state_intervals
     WHERE device_id = ? AND start_ts < ? AND (end_ts IS NULL OR end_ts > ?)`,
  );
  const msByType = new Map<string, Uptime['ms'][]>();
  for (const d of devices) {
    const u = uptimePct(spans.all(d.id, toTs, fromTs) as StateSpan[], fromTs, toTs);
    msByType.set(d.type.kind, [...(msByType.get(d.type.kind) ?? []), u.ms]);
  }
  const byType = Object.fromEntries([...msByType].map(([type, parts]) => [type, fromMs(sumMs(parts))]));
  const c = src.directory.communes.get(communeId)!.commune;
  return {
    communeId,
    name: c.name,
    province: c.province,
    devices: devices.length,
    ...countStates(devices.map((d) => ({ type: d.type.kind, state: stateOf(src, d) }))),
    availability: { ...fromMs(sumMs([...msByType.values()].flat())), fromTs, toTs, byType },
  };
}

export interface DeviceStateView {
  readonly deviceId: string;
  readonly communeId: string;
  readonly type: string;
  readonly name: string;
  readonly hamletId: string;
  readonly siteId: string;
  readonly location: { readonly lat: number; readonly lon: number };
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: ReasonParams;
  readonly sinceTs: number | null;
  readonly lastHeardTs: number | null;
}

/** The current state of every device the feed may show. */
export function deviceStates(src: IocSources, communes: readonly string[] | null): DeviceStateView[] {
  return iocDevices(src, communes).map((d) => {
    const live = src.availability.get(d.id);
    const commune = src.directory.communes.get(d.communeId)!;
    const site = commune.sites.find((s) => s.id === d.siteId)!;
    // The IOC sees no camera, so a key point's position (the camera's) is given as its hamlet's.
    const { lat, lon } = siteLocationFor(commune, site, () => false);
    return {
      deviceId: d.id,
      communeId: d.communeId,
      type: d.type.kind,
      name: d.name,
      hamletId: d.hamletId,
      siteId: d.siteId,
      location: { lat, lon },
      state: live?.state ?? 'unknown',
      reason: live?.reason ?? 'awaiting-evidence',
      params: live?.params ?? {},
      sinceTs: live?.sinceTs ?? null,
      lastHeardTs: live?.lastHeardTs ?? null,
    };
  });
}

export interface StateChangeView {
  /** Position in the feed (the state interval's id): strictly increasing, the cursor of /changes. */
  readonly seq: number;
  readonly deviceId: string;
  readonly communeId: string;
  readonly type: string;
  /** The state before; null for a device's first recorded state. */
  readonly from: DeviceState | null;
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: ReasonParams;
  /** When the new state began (epoch ms). */
  readonly ts: number;
}

/**
 * State changes after `cursor`, oldest first, read from the state intervals (kept for ever), so a
 * consumer that was away for a week loses nothing. `nextCursor` covers rows skipped as not visible
 * too, so a long run of camera changes is never scanned twice.
 */
export function stateChanges(
  src: IocSources,
  opts: { cursor: number; limit: number; communes: readonly string[] | null },
): { changes: StateChangeView[]; nextCursor: number; hasMore: boolean } {
  const devices = new Map(iocDevices(src, opts.communes).map((d) => [d.id, d]));
  const head = (
    src.db.prepare('SELECT COALESCE(MAX(id), 0) AS m FROM state_intervals').get() as { m: number }
  ).m;
  // The previous interval of the same device started no later (intervals tile time): the
  // (device_id, start_ts) index finds it without scanning the device's whole history.
  const rows = src.db
    .prepare(
      `SELECT s.id AS seq, s.device_id AS deviceId, s.commune_id AS communeId, s.state, s.reason, s.params,
              s.start_ts AS ts,
              (SELECT p.state FROM state_intervals p WHERE p.device_id = s.device_id AND p.start_ts <= s.start_ts
                 AND p.id < s.id ORDER BY p.start_ts DESC, p.id DESC LIMIT 1) AS "from"
       FROM state_intervals s
       WHERE s.id > ? AND s.id <= ? AND s.device_id IN (SELECT value FROM json_each(?))
       ORDER BY s.id LIMIT ?`,
    )
    .all(opts.cursor, head, JSON.stringify([...devices.keys()]), opts.limit + 1) as Array<
    Omit<StateChangeView, 'params' | 'type'> & { params: string | null }
  >;
  const hasMore = rows.length > opts.limit;
  const page = rows.slice(0, opts.limit);
  const changes = page.map((r) => ({
    seq: r.seq,
    deviceId: r.deviceId,
    communeId: r.communeId,
    type: devices.get(r.deviceId)!.type.kind,
    from: r.from,
    state: r.state,
    reason: r.reason,
    params: r.params ? (JSON.parse(r.params) as ReasonParams) : {},
    ts: r.ts,
  }));
  return { changes, nextCursor: hasMore ? page.at(-1)!.seq : Math.max(head, opts.cursor), hasMore };
}

function stateOf(src: IocSources, d: DeviceInfo): DeviceState {
  return src.availability.get(d.id)?.state ?? 'unknown';
}
