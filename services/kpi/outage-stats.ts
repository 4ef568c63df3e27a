import { z } from 'zod';
import type { BreakdownRow, IndicatorResult, KpiInput } from './indicator.ts';
import { round2 } from './indicator.ts';
import { type LedgerMs, outages, sumLedgerMs } from './ledger.ts';

/** The params every outage indicator takes: which devices. */
export const OutageParams = z.strictObject({ deviceType: z.string().optional() });

interface Stats {
  count: number;
  downMs: number;
  longestMs: number;
  ms: LedgerMs;
}

/**
 * Outage figures of the matching devices (see `outages` in ledger.ts for what an outage is), as
 * one indicator's value and a row per device. `pick` turns the counts into the figure:
 * MTTR = counted outage time / outages; MTBF = available time / outages.
 */
export function outageIndicator(
  input: KpiInput,
  deviceType: string | undefined,
  pick: (s: Stats) => number | null,
): IndicatorResult {
  const per = input.ledgers
    .filter((l) => (deviceType === undefined || l.device.type === deviceType) && l.segments.length > 0)
    .map((l) => {
      const os = outages(l);
      const s: Stats = {
        count: os.length,
        downMs: os.reduce((n, o) => n + o.countedMs, 0),
        longestMs: os.reduce((n, o) => Math.max(n, o.countedMs), 0),
        ms: { ...l.ms },
      };
      return { l, s };
    });
  const total: Stats = {
    count: per.reduce((n, p) => n + p.s.count, 0),
    downMs: per.reduce((n, p) => n + p.s.downMs, 0),
    longestMs: per.reduce((n, p) => Math.max(n, p.s.longestMs), 0),
    ms: sumLedgerMs(per.map((p) => p.s.ms)),
  };
  const basis = (s: Stats) => ({
    outages: s.count,
    outageMs: s.downMs,
    longestOutageMs: s.longestMs,
    availableMs: s.ms.available,
    unknownMs: s.ms.unknown,
    maintenanceMs: s.ms.maintenance,
  });
  const rows: BreakdownRow[] = per.map(({ l, s }) => ({
    key: l.device.id,
    label: l.device.name,
    value: pick(s),
    basis: basis(s),
  }));
  return { value: pick(total), basis: { devices: per.length, ...basis(total) }, rows };
}

export const perOutage = (ms: number, count: number, unitMs: number) =>
  count > 0 ? round2(ms / count / unitMs) : null;
