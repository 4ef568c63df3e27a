import { defineIndicator } from '../indicator.ts';
import { OutageParams, outageIndicator, perOutage } from '../outage-stats.ts';

/** Mean time to repair, minutes: counted outage time / outages (none: no figure). */
export const mttr = defineIndicator({
  kind: 'mttr',
  label: { vi: 'Thời gian khắc phục trung bình (MTTR)', en: 'Mean time to repair (MTTR)' },
  unit: 'minutes',
  better: 'lower',
  configSchema: OutageParams,
  exampleConfig: { deviceType: 'camera' },
  rules: ['kpi.rule.outage', 'kpi.rule.serviceHours', 'kpi.rule.unreachable'],
  compute: (input, p) => outageIndicator(input, p.deviceType, (s) => perOutage(s.downMs, s.count, 60_000)),
});
