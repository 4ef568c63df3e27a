import { defineIndicator } from '../indicator.ts';
import { OutageParams, outageIndicator } from '../outage-stats.ts';

/** Number of outages in the period (an outage cut by the period's edge counts here). */
export const outageCount = defineIndicator({
  kind: 'outage-count',
  label: { vi: 'Số lần mất hoạt động', en: 'Outages' },
  unit: 'count',
  better: 'lower',
  configSchema: OutageParams,
  exampleConfig: { deviceType: 'uplink' },
  rules: ['kpi.rule.outage', 'kpi.rule.serviceHours', 'kpi.rule.unreachable'],
  compute: (input, p) => outageIndicator(input, p.deviceType, (s) => s.count),
});
