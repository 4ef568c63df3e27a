/** Telemetry metric labels and units. Metric names carry their unit (STYLE §7: soilMoisturePct, latencyMs). */
import { formatDateTime, formatDuration, formatNumber, hasKey, t } from '../i18n.ts';

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
  [/UsCm$/, 'µS/cm'],
];

export function metricUnit(metric: string): string {
  return UNITS.find(([re]) => re.test(metric))?.[1] ?? '';
}

export function metricLabel(metric: string): string {
  const key = `metric.${metric}`;
  return hasKey(key) ? t(key) : metric;
}

/** Flags travel as numbers (the store keeps numbers only): recordingOk 1 means yes. */
const FLAG = /(Ok|^playing)$/;

/** A reading or payload value for display, with its unit; flags as Có/Không, `ts`/`…Ts` as date-times. */
export function formatValue(name: string, v: unknown): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'boolean') return v ? t('value.yes') : t('value.no');
  if (typeof v === 'number') {
    if (FLAG.test(name) && (v === 0 || v === 1)) return v ? t('value.yes') : t('value.no');
    if ((name === 'ts' || /Ts$/.test(name)) && v > 1e11) return formatDateTime(v, true);
    if (name === 'uptimeSec' && v >= 60) return formatDuration(v * 1000);
    const unit = metricUnit(name);
    return unit ? `${formatNumber(v, 2)} ${unit}` : formatNumber(v, 2);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
