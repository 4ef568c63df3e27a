import { deviceTypes } from '../services/device-types/registry.ts';
import { inContract } from '../services/kpi/contracts.ts';
import type { CommuneFile } from './schema/commune.ts';

/**
 * Load-time checks of `contractors:`, one line per problem with file, path and fix: unique ids,
 * one contract per budget line, references to devices, types and sites of this commune, and no
 * contract that covers nothing (an SLA nobody can be held to).
 */
export function contractorProblems(file: string, c: CommuneFile): string[] {
  const out: string[] = [];
  const devices = new Set(c.devices.map((d) => d.id));
  const sites = new Set(c.sites.map((s) => s.id));
  const seen = new Map<string, number>();
  const some = (xs: Iterable<string>) => [...xs].slice(0, 5).join(', ');
  const inventory = c.devices.map((d) => ({ id: d.id, type: d.type, siteId: d.site }));
  // `?? []`: also run on a file that failed its schema (load.ts referenceProblemsOfRaw).
  (c.contractors ?? []).forEach((k, i) => {
    const at = `${file}: contractors[${i}]`;
    const first = seen.get(k.id);
    if (first !== undefined)
      out.push(
        `${at}.id — "${k.id}" is used again (first at contractors[${first}]). Fix: give each contractor a distinct id.`,
      );
    else seen.set(k.id, i);
    const lines = new Map<string, number>();
    k.contracts.forEach((ct, j) => {
      const cat = `${at}.contracts[${j}]`;
      const again = lines.get(ct.budgetLine);
      if (again !== undefined)
        out.push(
          `${cat}.budgetLine — "${ct.budgetLine}" is already contracts[${again}] of ${k.id}. Fix: merge the two contracts, or name the other budget line.`,
        );
      else lines.set(ct.budgetLine, j);
      ct.devices?.forEach((d, n) => {
        if (!devices.has(d))
          out.push(
            `${cat}.devices[${n}] — "${d}" is not a device of this commune. Fix: use one of ${some(devices)}… or remove it.`,
          );
      });
      ct.deviceTypes?.forEach((t, n) => {
        if (!deviceTypes.has(t))
          out.push(
            `${cat}.deviceTypes[${n}] — "${t}" is not a known device type. Fix: use one of ${[...deviceTypes.keys()].join(', ')}.`,
          );
      });
      ct.sites?.forEach((s, n) => {
        if (!sites.has(s))
          out.push(
            `${cat}.sites[${n}] — "${s}" is not a site of this commune. Fix: use one of ${some(sites)}… or remove it.`,
          );
      });
      if (!inventory.some((d) => inContract(ct, d)))
        out.push(
          `${cat} — covers no device of this commune. Fix: list the devices it supplies, or correct deviceTypes/sites.`,
        );
    });
  });
  return out;
}
