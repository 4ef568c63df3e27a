import { deviceTypes } from '../services/device-types/registry.ts';
import { indicators } from '../services/kpi/indicators/registry.ts';
import type { CommuneFile } from './schema/commune.ts';

/**
 * Load-time checks of a commune's KPI settings, one line per problem with file, path and fix:
 * each target names a registered indicator with params its schema accepts and a known device
 * type; service hours name known types; retirement comes after commissioning.
 */
export function kpiProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const types = [...deviceTypes.keys()].join(', ');
  c.kpiTargets.forEach((k, i) => {
    const at = `${file}: kpiTargets[${i}]`;
    const ind = indicators.get(k.indicator);
    if (!ind) {
      out.push(
        `${at}.indicator — "${k.indicator}" is not a KPI kind. Fix: use one of ${[...indicators.keys()].join(', ')}.`,
      );
      return;
    }
    const parsed = ind.configSchema.safeParse(k.params);
    if (!parsed.success)
      for (const iss of parsed.error.issues)
        out.push(
          `${at}.params.${iss.path.join('.') || '(root)'} — ${iss.message}. Fix: see the params of ${ind.kind} in services/kpi/indicators/${ind.kind}.ts.`,
        );
    const dt = k.params.deviceType;
    if (typeof dt === 'string' && !deviceTypes.has(dt))
      out.push(`${at}.params.deviceType — "${dt}" is not a known device type. Fix: use one of ${types}.`);
    if (ind.unit === 'pct' && k.target > 100)
      out.push(
        `${at}.target — ${k.target} is over 100 for a percentage. Fix: write the target in percent (e.g. 98).`,
      );
  });
  for (const type of Object.keys(c.kpi?.serviceHours ?? {}))
    if (!deviceTypes.has(type))
      out.push(
        `${file}: kpi.serviceHours.${type} — "${type}" is not a known device type. Fix: use one of ${types}.`,
      );
  c.devices.forEach((d, i) => {
    const from = d.commissionedAt ?? d.installedAt;
    if (d.retiredAt !== undefined && d.retiredAt <= from)
      out.push(
        `${file}: devices[${i}].retiredAt — ${d.retiredAt} is not after commissioning (${from}). Fix: retire after commissioning, or remove the field.`,
      );
  });
  return out;
}
