import { z } from 'zod';
import { defineIndicator, type KpiInput } from '../indicator.ts';
import { availablePct, type DeviceLedger, type LedgerMs, sumLedgerMs } from '../ledger.ts';

const GROUPS = ['device', 'type', 'site', 'hamlet', 'contractor', 'commune'] as const;

const keyOf: Record<(typeof GROUPS)[number], (l: DeviceLedger) => string> = {
  device: (l) => l.device.id,
  type: (l) => l.device.type,
  site: (l) => l.device.siteId,
  hamlet: (l) => l.device.hamletId,
  contractor: (l) => l.device.contractor ?? '',
  commune: (l) => l.device.communeId,
};

export const basisOf = (ms: Readonly<LedgerMs>) => ({
  availableMs: ms.available,
  unavailableMs: ms.unavailable,
  unreachableMs: ms.unreachable,
  maintenanceMs: ms.maintenance,
  unknownMs: ms.unknown,
});

/** Devices of the type (all when absent) that counted for some time in the period. */
export function matching(input: KpiInput, deviceType: string | undefined): DeviceLedger[] {
  return input.ledgers.filter(
    (l) => (deviceType === undefined || l.device.type === deviceType) && l.segments.length > 0,
  );
}

function labelOf(input: KpiInput, group: (typeof GROUPS)[number], key: string, l: DeviceLedger): string {
  if (group === 'device') return l.device.name;
  if (group === 'site') return input.sites.find((s) => s.id === key)?.name ?? key;
  if (group === 'hamlet') return input.hamlets.find((h) => h.id === key)?.name ?? key;
  return key;
}

/**
 * Uptime %: device-time-weighted, 100 × available / (available + unavailable) over the counted
 * time of every matching device, with a row per device, type, site, hamlet, contractor or commune.
 */
export const uptime = defineIndicator({
  kind: 'uptime',
  label: { vi: 'Tỷ lệ thời gian hoạt động', en: 'Uptime' },
  unit: 'pct',
  better: 'higher',
  configSchema: z.strictObject({
    /** A device type kind; every type when absent. */
    deviceType: z.string().optional(),
    groupBy: z.enum(GROUPS).default('device'),
  }),
  exampleConfig: { deviceType: 'camera', groupBy: 'hamlet' },
  rules: [
    'kpi.rule.counted',
    'kpi.rule.serviceHours',
    'kpi.rule.maintenance',
    'kpi.rule.unknown',
    'kpi.rule.unreachable',
  ],
  compute(input, params) {
    const ledgers = matching(input, params.deviceType);
    const groups = new Map<string, DeviceLedger[]>();
    for (const l of ledgers) {
      const k = keyOf[params.groupBy](l);
      groups.set(k, [...(groups.get(k) ?? []), l]);
    }
    const rows = [...groups].map(([key, ls]) => {
      const ms = sumLedgerMs(ls.map((l) => l.ms));
      return {
        key,
        label: labelOf(input, params.groupBy, key, ls[0]!),
        value: availablePct(ms),
        basis: { devices: ls.length, ...basisOf(ms) },
      };
    });
    const total = sumLedgerMs(ledgers.map((l) => l.ms));
    return { value: availablePct(total), basis: { devices: ledgers.length, ...basisOf(total) }, rows };
  },
});
