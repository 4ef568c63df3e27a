import { describe, expect, it } from 'vitest';
import type { KpiInput } from '../../services/kpi/indicator.ts';
import { indicators } from '../../services/kpi/indicators/registry.ts';
import { deviceLedger, type KpiDevice } from '../../services/kpi/ledger.ts';
import { CATALOGUES } from '../../services/shared/i18n/index.ts';

const H = 3_600_000;
const T0 = Date.parse('2026-03-01T00:00:00+07:00');

function device(id: string, type: string, siteId: string): KpiDevice {
  return {
    id,
    name: `Thiết bị ${id}`,
    communeId: 'xa-thu',
    type,
    isUplink: type === 'uplink',
    siteId,
    hamletId: 'ap-1',
    contractor: 'VNPT Đồng Nai',
    commissionedTs: T0,
    retiredTs: null,
  };
}

/** Two devices of each kind an indicator may name, a day with an outage, maintenance and unknown. */
function input(): KpiInput {
  const period = { fromTs: T0, toTs: T0 + 24 * H };
  const spans = [
    { state: 'up' as const, reason: 'heartbeat', params: {}, startTs: T0, endTs: T0 + 6 * H },
    { state: 'down' as const, reason: 'heartbeat-late', params: {}, startTs: T0 + 6 * H, endTs: T0 + 7 * H },
    {
      state: 'maintenance' as const,
      reason: 'maintenance',
      params: {},
      startTs: T0 + 7 * H,
      endTs: T0 + 8 * H,
    },
    {
      state: 'unknown' as const,
      reason: 'service-restart',
      params: {},
      startTs: T0 + 8 * H,
      endTs: T0 + 9 * H,
    },
    { state: 'up' as const, reason: 'heartbeat', params: {}, startTs: T0 + 9 * H, endTs: T0 + 24 * H },
  ];
  const devices = ['camera', 'loudspeaker', 'wifi-ap', 'uplink', 'soil-sensor'].flatMap((t) => [
    device(`${t}-1`, t, 'nvh-1'),
    device(`${t}-2`, t, 'truong-1'),
  ]);
  devices.push(device('camera-3', 'camera', 'diem-1'));
  // Soil sensors every 30 min, one of them missing the afternoon.
  const every30 = Array.from({ length: 48 }, (_, k) => T0 + k * 1_800_000);
  const uplinks = new Map([
    ['soil-sensor-1', { intervalSec: 1800, ts: every30 }],
    ['soil-sensor-2', { intervalSec: 1800, ts: every30.slice(0, 24) }],
  ]);
  return {
    period,
    nowTs: period.toTs,
    hamlets: [{ id: 'ap-1', name: 'Ấp 1', population: 1000 }],
    sites: [
      {
        id: 'nvh-1',
        name: 'Nhà văn hóa',
        kind: 'cultural-house',
        hamlet: 'ap-1',
        location: { lat: 11, lon: 107 },
      },
      {
        id: 'truong-1',
        name: 'Trường',
        kind: 'school',
        hamlet: 'ap-1',
        location: { lat: 11, lon: 107 },
        uplink: 'uplink-1',
      },
      { id: 'diem-1', name: 'Ngã ba', kind: 'key-point', hamlet: 'ap-1', location: { lat: 11, lon: 107 } },
    ],
    uplinks,
    ledgers: devices.map((d) => deviceLedger(d, spans, [period])),
    contractors: [
      {
        id: 'vnpt-dong-nai',
        name: 'VNPT Đồng Nai',
        illustrative: true,
        contracts: [
          { budgetLine: 'II.1.2 Wi-Fi công cộng', slaPct: 95, deviceTypes: ['wifi-ap'] },
          { budgetLine: 'II.4.1 Đường truyền', slaPct: 99, devices: ['uplink-1'], sites: ['truong-1'] },
        ],
      },
    ],
  };
}

/** The contract every KPI kind keeps (services/kpi/indicator.ts). */
export function indicatorConformance(kind: string): void {
  describe(`indicator ${kind}: conformance`, () => {
    const ind = indicators.get(kind);

    it('is registered, and its example params pass its schema', () => {
      expect(ind, kind).toBeDefined();
      expect(ind!.configSchema.safeParse(ind!.exampleConfig).success).toBe(true);
    });

    it('names accounting rules that have Vietnamese and English text', () => {
      expect(ind!.rules.length).toBeGreaterThan(0);
      for (const key of ind!.rules) {
        expect(CATALOGUES.vi[key], `${key} vi`).toBeTruthy();
        expect(CATALOGUES.en[key], `${key} en`).toBeTruthy();
      }
    });

    it('gives no figure, and throws nothing, over a period without evidence', () => {
      const empty = { ...input(), ledgers: [] };
      const r = ind!.compute(empty, ind!.configSchema.parse(ind!.exampleConfig));
      expect(r.value === null || r.value === 0).toBe(true);
    });

    it('is pure: the same input gives the same figures, in range for its unit', () => {
      const params = ind!.configSchema.parse(ind!.exampleConfig);
      const a = ind!.compute(input(), params);
      expect(ind!.compute(input(), params)).toEqual(a);
      expect(a.value).not.toBeNull();
      expect(a.value!).toBeGreaterThanOrEqual(0);
      if (ind!.unit === 'pct') expect(a.value!).toBeLessThanOrEqual(100);
    });
  });
}
