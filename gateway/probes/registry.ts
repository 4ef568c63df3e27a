import { dns } from './dns.ts';
import { http } from './http.ts';
import { icmp } from './icmp.ts';
import type { AnyProbe } from './probe.ts';
import { snmpProbe } from './snmp.ts';
import { tcp } from './tcp.ts';

/** Every probe, once. A test checks that each probe file in this folder is listed here. */
export const PROBES: readonly AnyProbe[] = [icmp, tcp, http, dns, snmpProbe];

/**
 * A readonly list → a Map by kind, refusing bad and duplicate kinds at boot, not at first use.
 * TODO(#11): replace with defineRegistry from services/shared/registry.ts at merge.
 */
export function defineRegistry<T extends { readonly kind: string }>(
  what: string,
  list: readonly T[],
): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const entry of list) {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(entry.kind))
      throw new Error(`${what} kind "${entry.kind}" is not kebab-case`);
    if (map.has(entry.kind)) throw new Error(`${what} kind "${entry.kind}" is registered twice`);
    map.set(entry.kind, entry);
  }
  return map;
}

/** Built at import (boot), so a duplicate kind stops the gateway before it probes anything. */
export const probes = defineRegistry('probe', PROBES);
