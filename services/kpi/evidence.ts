import type { Indicator, KpiInput } from './indicator.ts';
import type { DeviceLedger, LedgerMs } from './ledger.ts';
import { availablePct, emptyMs, sumLedgerMs } from './ledger.ts';

/**
 * The evidence behind a figure, as a leader asks "why 97.3 %?": each device's contribution to it,
 * in seconds of the period, by what they counted as (the ledger's buckets), and the seconds not
 * counted at all (outside service hours, before commissioning, after retirement, not yet elapsed).
 * Pure: ledgers in, contributions out.
 */
export interface Contribution {
  readonly devices: number;
  readonly periodSec: number;
  /** up or degraded */
  readonly upSec: number;
  /** down or unreachable */
  readonly downSec: number;
  /** Part of downSec spent unreachable behind an upstream (the root cause is the upstream). */
  readonly unreachableSec: number;
  readonly maintenanceSec: number;
  readonly unknownSec: number;
  /** Period seconds the device did not count for. */
  readonly excludedSec: number;
  /** 100 × up / (up + down), as the uptime KPI counts it; null when nothing was judged. */
  readonly uptimePct: number | null;
}

export interface DeviceContribution extends Contribution {
  readonly deviceId: string;
  readonly name: string;
  readonly type: string;
  readonly siteId: string;
  readonly hamletId: string;
}

const sec = (ms: number) => Math.round(ms) / 1000;

function contributionOf(ms: Readonly<LedgerMs>, devices: number, periodMs: number): Contribution {
  const counted = ms.available + ms.unavailable + ms.maintenance + ms.unknown;
  return {
    devices,
    periodSec: sec(periodMs * devices),
    upSec: sec(ms.available),
    downSec: sec(ms.unavailable),
    unreachableSec: sec(ms.unreachable),
    maintenanceSec: sec(ms.maintenance),
    unknownSec: sec(ms.unknown),
    excludedSec: sec(periodMs * devices - counted),
    uptimePct: availablePct(ms),
  };
}

/** The ledgers a figure of `indicator` with `params` rests on (see Indicator.devicesOf). */
export function figureLedgers(
  input: KpiInput,
  indicator: Indicator,
  params: unknown,
): readonly DeviceLedger[] {
  if (indicator.devicesOf) return indicator.devicesOf(input, params);
  const type = (params as { deviceType?: unknown } | null)?.deviceType;
  return typeof type === 'string' ? input.ledgers.filter((l) => l.device.type === type) : input.ledgers;
}

export function deviceContribution(input: KpiInput, l: DeviceLedger): DeviceContribution {
  const d = l.device;
  return {
    deviceId: d.id,
    name: d.name,
    type: d.type,
    siteId: d.siteId,
    hamletId: d.hamletId,
    ...contributionOf(l.ms, 1, input.period.toTs - input.period.fromTs),
  };
}

/** The summed contribution of several devices (a site, a hamlet, the cameras as one aggregate). */
export function groupContribution(input: KpiInput, ledgers: readonly DeviceLedger[]): Contribution {
  const ms = ledgers.length > 0 ? sumLedgerMs(ledgers.map((l) => l.ms)) : emptyMs();
  return contributionOf(ms, ledgers.length, input.period.toTs - input.period.fromTs);
}
