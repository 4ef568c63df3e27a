import { z } from 'zod';
import { defineIndicator, round2 } from '../indicator.ts';
import { dailyCompleteness } from '../soil.ts';

/**
 * Farm-pilot data completeness: of the uplinks the soil sensors should have sent in the period
 * (each from commissioning to retirement, up to now), the share that arrived, summed over the
 * sensors' local days (services/kpi/soil.ts dailyCompleteness: a day's surplus of resent frames
 * does not make up for another day's gap). Unknown when the uplinks were not read.
 */
export const farmCompleteness = defineIndicator({
  kind: 'farm-completeness',
  label: { vi: 'Mức đầy đủ dữ liệu mô hình nông nghiệp số', en: 'Farm-pilot data completeness' },
  unit: 'pct',
  better: 'higher',
  configSchema: z.strictObject({
    deviceType: z.string().default('soil-sensor'),
    /** A sensor-day below this share is listed as a gap day in the sensor's row. */
    dayMinPct: z.number().min(0).max(100).default(80),
  }),
  exampleConfig: { deviceType: 'soil-sensor', dayMinPct: 80 },
  rules: ['kpi.rule.completeness', 'kpi.rule.counted'],
  compute(input, params) {
    const sensors = input.ledgers.filter((l) => l.device.type === params.deviceType && l.segments.length > 0);
    let received = 0;
    let expected = 0;
    const rows = sensors.map((l) => {
      const u = input.uplinks?.get(l.device.id);
      const fromTs = Math.max(input.period.fromTs, l.device.commissionedTs);
      const toTs = Math.min(input.period.toTs, l.device.retiredTs ?? Number.POSITIVE_INFINITY, input.nowTs);
      const days = u ? dailyCompleteness(u.ts, { intervalSec: u.intervalSec, fromTs, toTs }, u.hourly) : [];
      const got = days.reduce((n, d) => n + Math.min(d.received, d.expected), 0);
      const want = days.reduce((n, d) => n + d.expected, 0);
      received += got;
      expected += want;
      return {
        key: l.device.id,
        label: l.device.name,
        value: want > 0 ? round2((100 * got) / want) : null,
        basis: {
          received: got,
          expected: want,
          days: days.length,
          gapDays: days.filter((d) => d.pct !== null && d.pct < params.dayMinPct).length,
          uplinksRead: u ? 'yes' : 'no',
        },
      };
    });
    return {
      value: expected > 0 ? round2((100 * received) / expected) : null,
      basis: { sensors: sensors.length, received, expected },
      rows,
    };
  },
});
