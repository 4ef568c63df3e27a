import { createHash } from 'node:crypto';
import type { CommuneFile } from '../../config/schema/commune.ts';
import { deviceTypes } from '../device-types/registry.ts';
import { vnMidnightTs } from '../inventory/device-directory.ts';
import type { Period, ReadModel } from '../read-model/read-model.ts';
import type { KpiInput, SensorUplinks } from './indicator.ts';
import { countedWindows, deviceLedger, type EvidenceSpan, type KpiDevice } from './ledger.ts';
import { serviceWindows } from './service-hours.ts';
import { evaluateTargets, type KpiFigure } from './targets.ts';

/**
 * The edge of the KPI engine: reads a commune's evidence from the read model once, builds each
 * device's ledger and computes every target. Everything after the read is pure, so the same
 * evidence always gives the same figures (what report verification relies on).
 */

export function kpiDevices(c: CommuneFile): KpiDevice[] {
  const sites = new Map(c.sites.map((s) => [s.id, s]));
  return c.devices.map((d) => ({
    id: d.id,
    name: d.name,
    communeId: c.commune.id,
    type: d.type,
    isUplink: deviceTypes.get(d.type)?.isUplink ?? false,
    siteId: d.site,
    hamletId: sites.get(d.site)?.hamlet ?? '',
    contractor: d.contractor ?? null,
    commissionedTs: vnMidnightTs(d.commissionedAt ?? d.installedAt),
    retiredTs: d.retiredAt ? vnMidnightTs(d.retiredAt) : null,
  }));
}

export interface KpiRun {
  readonly communeId: string;
  readonly period: Period;
  readonly nowTs: number;
  readonly figures: readonly KpiFigure[];
  /** sha256 of the evidence read, per device (only devices with evidence in the period). */
  readonly evidence: Readonly<Record<string, string>>;
  /** sha256 over the settings that shape the figures (inventory, service hours, targets). */
  readonly settingsHash: string;
  /** What the figures were computed from (a report's evidence appendix lists its outages). */
  readonly input?: KpiInput;
}

/**
 * Reads the commune's evidence over `period` (counted up to `nowTs`) and builds every device's
 * ledger: what every indicator computes over, and what the evidence API explains a figure with.
 * `evidence` is the sha256 of the spans (and uplinks) read, per device with evidence in the
 * period; `hash: false` skips it where it would be thrown away (a report's trend months).
 */
export function readKpiInput(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  period: Period,
  nowTs: number,
  opts: {
    /** Soil sensors' uplinks in the period (services/soil/uplinks.ts); without, farm figures are null. */
    readonly uplinks?: ReadonlyMap<string, SensorUplinks> | undefined;
    readonly hash?: boolean;
  } = {},
): { input: KpiInput; evidence: Record<string, string> } {
  const hash = opts.hash ?? true;
  const { uplinks } = opts;
  const devices = kpiDevices(c);
  const spans = new Map<string, EvidenceSpan[]>(devices.map((d) => [d.id, []]));
  const hashes = new Map<string, ReturnType<typeof createHash>>();
  for (const s of readModel.spans(
    devices.map((d) => d.id),
    period,
  )) {
    const endTs = Math.min(s.endTs, nowTs);
    if (endTs <= s.startTs) continue;
    spans
      .get(s.deviceId)
      ?.push({ state: s.state, reason: s.reason, params: s.params, startTs: s.startTs, endTs });
    if (!hash) continue;
    const h = hashes.get(s.deviceId) ?? createHash('sha256');
    h.update(`${s.state}|${s.reason}|${JSON.stringify(s.params)}|${s.startTs}|${endTs}\n`);
    hashes.set(s.deviceId, h);
  }
  const rules = c.kpi?.serviceHours ?? {};
  const windowsByType = new Map<string, Period[]>();
  const windowsOf = (type: string) => {
    if (!windowsByType.has(type))
      windowsByType.set(type, serviceWindows(rules[type] ?? 'always', period, c.broadcasts));
    return windowsByType.get(type)!;
  };
  const input: KpiInput = {
    period,
    nowTs,
    hamlets: c.hamlets,
    sites: c.sites,
    contractors: c.contractors ?? [],
    ledgers: devices.map((d) =>
      deviceLedger(d, spans.get(d.id)!, countedWindows(d, windowsOf(d.type), nowTs)),
    ),
    ...(uplinks ? { uplinks } : {}),
  };
  // Uplinks are evidence too: a late-arriving backlog changes the figure, and verify must say so.
  for (const [id, u] of hash ? (uplinks ?? []) : []) {
    const h = hashes.get(id) ?? createHash('sha256');
    h.update(`uplinks|${u.intervalSec}|${uplinkDigestText(u)}\n`);
    hashes.set(id, h);
  }
  const evidence = Object.fromEntries(
    [...hashes].sort(([a], [b]) => a.localeCompare(b)).map(([id, h]) => [id, h.digest('hex').slice(0, 16)]),
  );
  return { input, evidence };
}

const HOUR_MS = 3_600_000;

/**
 * A sensor's uplinks as counts per UTC hour, sorted: what the completeness figure sees of them,
 * whether an hour came as raw times or as a rollup's count, so a report and its verification
 * hash the same evidence after the raw readings were pruned.
 */
export function uplinkDigestText(u: SensorUplinks): string {
  const byHour = new Map<number, number>();
  for (const ts of u.ts) {
    const h = Math.floor(ts / HOUR_MS) * HOUR_MS;
    byHour.set(h, (byHour.get(h) ?? 0) + 1);
  }
  for (const [h, n] of u.hourly ?? []) byHour.set(h, (byHour.get(h) ?? 0) + n);
  return [...byHour]
    .sort(([a], [b]) => a - b)
    .map(([h, n]) => `${h}:${n}`)
    .join(',');
}

/** Reads the evidence and computes the commune's KPIs over `period`, counted up to `nowTs`. */
export function runKpis(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  period: Period,
  nowTs: number,
  /** Soil sensors' uplinks in the period (services/soil/uplinks.ts); without, farm figures are null. */
  uplinks?: ReadonlyMap<string, SensorUplinks>,
): KpiRun {
  const { input, evidence } = readKpiInput(c, readModel, period, nowTs, { uplinks });
  return {
    communeId: c.commune.id,
    period,
    nowTs,
    figures: evaluateTargets(c.kpiTargets, input, c.kpi?.atRiskMargin ?? 1),
    evidence,
    settingsHash: settingsHashOf(c),
    input,
  };
}

/** sha256 over the settings that shape a commune's figures (inventory, service hours, targets). */
export function settingsHashOf(c: CommuneFile): string {
  return sha256(
    JSON.stringify({
      devices: kpiDevices(c),
      sites: c.sites,
      hamlets: c.hamlets,
      kpi: c.kpi ?? null,
      broadcasts: c.broadcasts,
      targets: c.kpiTargets,
      // Only when present, so the hash of a commune without contractors is what it was before.
      ...((c.contractors ?? []).length > 0 ? { contractors: c.contractors } : {}),
    }),
  );
}

/**
 * The figures alone, without hashing the evidence and settings: for a report's trend months,
 * where the hashes would be thrown away (a twelfth of the trend's time went on them).
 */
export function kpiFigures(
  c: CommuneFile,
  readModel: Pick<ReadModel, 'spans'>,
  period: Period,
  nowTs: number,
  uplinks?: ReadonlyMap<string, SensorUplinks>,
): readonly KpiFigure[] {
  const { input } = readKpiInput(c, readModel, period, nowTs, { hash: false, uplinks });
  return evaluateTargets(c.kpiTargets, input, c.kpi?.atRiskMargin ?? 1);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
