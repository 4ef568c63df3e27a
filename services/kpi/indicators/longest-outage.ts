import { defineIndicator, round2 } from '../indicator.ts';
import { OutageParams, outageIndicator } from '../outage-stats.ts';

/** The longest outage of any matching device, minutes of counted time (0 without outages). */
export const longestOutage = defineIndicator({
  kind: 'longest-outage',
  label: { vi: 'Lần mất hoạt động dài nhất', en: 'Longest outage' },
  unit: 'minutes',
  better: 'lower',
  configSchema: OutageParams,
  exampleConfig: { deviceType: 'uplink' },
  rules: ['kpi.rule.outage', 'kpi.rule.serviceHours', 'kpi.rule.unreachable'],
  compute: (input, p) => outageIndicator(input, p.deviceType, (s) => round2(s.longestMs / 60_000)),
});
