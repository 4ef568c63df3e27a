import { defineIndicator } from '../indicator.ts';
import { OutageParams, outageIndicator, perOutage } from '../outage-stats.ts';

/** Mean time between failures, hours: available (counted) time / outages (none: no figure). */
export const mtbf = defineIndicator({
  kind: 'mtbf',
  label: { vi: 'Thời gian trung bình giữa hai lần hỏng (MTBF)', en: 'Mean time between failures (MTBF)' },
  unit: 'hours',
  better: 'higher',
  configSchema: OutageParams,
  exampleConfig: { deviceType: 'camera' },
  rules: ['kpi.rule.outage', 'kpi.rule.serviceHours', 'kpi.rule.unknown'],
  compute: (input, p) =>
    outageIndicator(input, p.deviceType, (s) => perOutage(s.ms.available, s.count, 3_600_000)),
});
