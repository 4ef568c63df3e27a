/** Telemetry metric labels and units. Metric names carry their unit (STYLE §7: soilMoisturePct, latencyMs). */
import { formatDateTime, formatNumber, hasKey, t } from '../i18n.ts';

const UNITS: [RegExp, string][] = [
  [/Pct$/, '%'],
  [/Ms$/, 'ms'],
  [/Sec$/, 's'],
  [/Dbm$/, 'dBm'],
  [/Db$/, 'dB'],
  [/C$/, '°C'],
  [/Kbps$/, 'kbps'],
  [/Mbps$/, 'Mbps'],
  [/V$/, 'V'],
];

export function metricUnit(metric: string): string {
  return UNITS.find(([re]) => re.test(metric))?.[1] ?? '';
}

export function metricLabel(metric: string): string {
  const key = `metric.${metric}`;
  return hasKey(key) ? t(key) : metric;
}

/** A reading or payload value for display, with its unit; booleans as Có/Không, `…Ts` fields as date-times. */
export function formatValue(name: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'boolean') return v ? t('value.yes') : t('value.no');
  if (typeof v === 'number') {
    if (/Ts$/.test(name) && v > 1e11) return formatDateTime(v, true);
    const unit = metricUnit(name);
    return unit ? `${formatNumber(v, 2)} ${unit}` : formatNumber(v, 2);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
