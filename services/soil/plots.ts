/**
 * The economics office's view of the farm pilot: each plot (a farm site) with its crop and moisture
 * bounds, its soil sensors' latest readings, battery trend, link health and daily completeness.
 * Reads the store, the saved link states and the live states; judges nothing new on its own.
 */

import { plotBounds } from '../../config/soil-plots.ts';
import { payloadCodecs } from '../../gateway/lorawan/codecs/registry.ts';
import { lostUplinksPct } from '../../gateway/lorawan/link-health.ts';
import type { ApiDeps } from '../api/deps.ts';
import { linkStatesByDevice } from '../ingest/lorawan-links.ts';
import type { DeviceInfo } from '../inventory/device-directory.ts';
import {
  BATTERY_EMPTY_V,
  BATTERY_WINDOW_DAYS,
  batteryTrend,
  type DayCompleteness,
  dailyCompleteness,
} from '../kpi/soil.ts';
import type { Db } from '../store/db.ts';
import type { Reading } from '../store/store.ts';
import { irrigationRuns } from './irrigation.ts';
import { plotKey, thresholdOverrides } from './thresholds.ts';

const DAY_MS = 86_400_000;
/** The readings a soil plot is about, in the order the page and the exports show them. */
export const SOIL_METRICS = ['soilMoisturePct', 'soilTempC', 'soilEcUsCm', 'batteryPct', 'batteryV'] as const;
/** Local days of completeness shown per sensor (today included). */
export const COMPLETENESS_DAYS = 7;

export type PlotStatus = 'dry' | 'wet' | 'ok' | 'no-data';

export interface PlotRef {
  readonly communeId: string;
  readonly siteId: string;
  readonly name: string;
  readonly hamletName: string;
  readonly location: { readonly lat: number; readonly lon: number };
  readonly crop: { readonly id: string; readonly name: string } | null;
  readonly dryBelowPct: number | null;
  readonly wetAbovePct: number | null;
  /** The commune file's bounds (the plot's own, else its crop's); what taking an override off returns to. */
  readonly fileBounds: { readonly dryBelowPct: number; readonly wetAbovePct: number | null } | null;
  /** Who set the bounds in use from the dashboard, and when; null when they are the file's. */
  readonly thresholdsSetBy: { readonly username: string; readonly ts: number } | null;
  /** Personal data: only plotsView for the economics office passes it on (plotsView). */
  readonly household: { readonly name: string; readonly phone: string | null } | null;
  readonly sensors: readonly DeviceInfo[];
}

/**
 * The plots of the given communes: every farm site with soil sensors or a `plots` entry. A farm
 * with sensors but no plot entry is still shown, with no bounds (so no dry/wet verdict) until the
 * economics office sets some. With `db`, bounds set from the dashboard (thresholds.ts) win over
 * the file's.
 */
export function plotsOf(
  deps: Pick<ApiDeps, 'directory'> & { readonly db?: Db },
  communeIds: readonly string[],
): PlotRef[] {
  const overrides = deps.db ? thresholdOverrides(deps.db) : new Map();
  const out: PlotRef[] = [];
  for (const communeId of communeIds) {
    const c = deps.directory.communes.get(communeId);
    if (!c) continue;
    const sensors = [...deps.directory.all()].filter(
      (d) => d.communeId === communeId && d.type.kind === 'soil-sensor',
    );
    for (const site of c.sites.filter((s) => s.kind === 'farm')) {
      const plot = c.plots.find((p) => p.site === site.id);
      const crop = plot ? c.crops.find((k) => k.id === plot.crop) : undefined;
      const own = sensors.filter((d) => d.siteId === site.id);
      if (!plot && own.length === 0) continue;
      const fileBounds = plot && crop ? plotBounds(plot, crop) : null;
      const set = overrides.get(plotKey(communeId, site.id));
      const bounds = set ?? fileBounds;
      out.push({
        communeId,
        siteId: site.id,
        name: site.name,
        hamletName: c.hamlets.find((h) => h.id === site.hamlet)?.name ?? site.hamlet,
        location: site.location,
        crop: crop ? { id: crop.id, name: crop.name } : null,
        dryBelowPct: bounds?.dryBelowPct ?? null,
        wetAbovePct: bounds?.wetAbovePct ?? null,
        fileBounds,
        thresholdsSetBy: set ? { username: set.setBy, ts: set.setTs } : null,
        household: plot?.household
          ? { name: plot.household.name, phone: plot.household.phone ?? null }
          : null,
        sensors: own,
      });
    }
  }
  return out;
}

/** Too dry or too wet by the mean of the sensors' latest moisture; no verdict without bounds or data. */
export function plotStatus(
  moisturePct: number | null,
  plot: Pick<PlotRef, 'dryBelowPct' | 'wetAbovePct'>,
): PlotStatus {
  if (moisturePct === null || plot.dryBelowPct === null) return 'no-data';
  if (moisturePct < plot.dryBelowPct) return 'dry';
  if (plot.wetAbovePct !== null && moisturePct > plot.wetAbovePct) return 'wet';
  return 'ok';
}

/** The sensor's uplink interval: its own setting, else its model's, else its liveness interval. */
export function uplinkIntervalSec(d: DeviceInfo): number {
  const model = d.config.sensorModel === undefined ? undefined : payloadCodecs.get(d.config.sensorModel);
  return d.config.uplinkIntervalSec ?? model?.uplinkIntervalSec ?? d.heartbeatIntervalSec;
}

async function sensorView(deps: ApiDeps, d: DeviceInfo, links: ReturnType<typeof linkStatesByDevice>) {
  const now = deps.clock();
  const latestRows = await deps.store.latest({ communeId: d.communeId, deviceId: d.id });
  const latest: Record<string, { value: number; ts: number }> = {};
  for (const r of latestRows) latest[r.metric] = { value: r.value, ts: r.ts };
  const batteryMetric = latest.batteryPct ? 'batteryPct' : latest.batteryV ? 'batteryV' : null;
  const since = (days: number) => now - days * DAY_MS;
  const query = (metric: string, fromTs: number): Promise<Reading[]> =>
    deps.store.query({
      communeId: d.communeId,
      deviceId: d.id,
      metric,
      fromTs,
      toTs: now + 1,
      limit: 50_000,
    });
  const battery = batteryMetric
    ? batteryTrend(await query(batteryMetric, since(BATTERY_WINDOW_DAYS)), {
        windowDays: BATTERY_WINDOW_DAYS,
        emptyAt: batteryMetric === 'batteryPct' ? 0 : BATTERY_EMPTY_V,
      })
    : null;
  // Completeness from the first local midnight of the window; the install day counts from commissioning.
  const fromTs = Math.max(d.commissionedTs, localMidnight(now) - (COMPLETENESS_DAYS - 1) * DAY_MS);
  const heartbeats = await query('heartbeat', fromTs);
  const completeness: DayCompleteness[] = dailyCompleteness(
    heartbeats.map((r) => r.ts),
    { intervalSec: uplinkIntervalSec(d), fromTs, toTs: now + 1 },
  );
  const link = links.get(d.id);
  const live = deps.availability.get(d.id);
  return {
    id: d.id,
    name: d.name,
    sensorModel: d.config.sensorModel ?? null,
    devEui: d.config.devEui ?? null,
    state: live?.state ?? 'unknown',
    reason: live?.reason ?? 'awaiting-evidence',
    params: live?.params ?? {},
    lastHeardTs: live?.lastHeardTs ?? null,
    latest,
    battery: battery && batteryMetric ? { metric: batteryMetric, ...battery } : null,
    link: link
      ? {
          rssiDbm: link.radio?.rssiDbm ?? null,
          snrDb: link.radio?.snrDb ?? null,
          gatewayCount: link.radio?.gatewayCount ?? null,
          lastUplinkTs: link.radio?.ts ?? null,
          lastFCnt: link.lastFCnt,
          lostUplinksPct: lostUplinksPct(link) ?? null,
          fCntResets: link.fCntResets,
        }
      : null,
    uplinkIntervalSec: uplinkIntervalSec(d),
    completeness,
  };
}

/** The start of the local (Asia/Ho_Chi_Minh, UTC+7) day of `ts`. */
function localMidnight(ts: number): number {
  const offset = 7 * 3_600_000;
  return Math.floor((ts + offset) / DAY_MS) * DAY_MS - offset;
}

/**
 * Every plot of the communes with its sensors and its verdict, driest first. The farm household's
 * name and phone only with `withHousehold` (the economics office: issue #13's personal data rule).
 */
export async function plotsView(deps: ApiDeps, communeIds: readonly string[], withHousehold = false) {
  const links = linkStatesByDevice(deps.db);
  const plots = await Promise.all(
    plotsOf(deps, communeIds).map(async (p) => {
      const sensors = await Promise.all(p.sensors.map((d) => sensorView(deps, d, links)));
      const moistures = sensors.flatMap((s) =>
        s.latest.soilMoisturePct ? [s.latest.soilMoisturePct.value] : [],
      );
      const moisturePct =
        moistures.length > 0
          ? Math.round((moistures.reduce((a, b) => a + b, 0) / moistures.length) * 10) / 10
          : null;
      const { sensors: _devices, household, ...ref } = p;
      return {
        ...ref,
        household: withHousehold ? household : null,
        moisturePct,
        status: plotStatus(moisturePct, p),
        sensors,
        irrigations: irrigationRuns(deps, p.communeId, p.siteId),
      };
    }),
  );
  const rank: Record<PlotStatus, number> = { dry: 0, wet: 1, ok: 2, 'no-data': 3 };
  return plots.sort(
    (a, b) => rank[a.status] - rank[b.status] || a.name.localeCompare(b.name, 'vi', { numeric: true }),
  );
}
