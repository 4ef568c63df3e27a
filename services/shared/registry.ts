import type { z } from 'zod';

/**
 * What every registry entry has: a stable kebab-case `kind` (kept in config and the database, so
 * never renamed: add an alias instead) and a label in both languages for anything a person reads.
 */
export interface Registered {
  readonly kind: string;
  readonly label: { readonly vi: string; readonly en: string };
}

/**
 * An entry that takes settings: its own zod schema, run when the config is loaded (config/load.ts),
 * and an example that passes it (checked by test/conformance/registries.test.ts), which is also
 * what the docs and the sample config show.
 */
export interface Configurable<C = unknown> {
  readonly configSchema: z.ZodType<C>;
  readonly exampleConfig: C;
}

export const KIND_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Turns a registry table (a readonly array, one entry per kind) into a map by `kind`. Built at
 * import, so a bad or repeated kind stops the service at boot rather than at first use.
 * Throws naming the registry and the kind.
 */
export function defineRegistry<T extends { readonly kind: string }>(
  name: string,
  entries: readonly T[],
): ReadonlyMap<string, T> {
  const map = new Map<string, T>();
  for (const e of entries) {
    if (!KIND_PATTERN.test(e.kind))
      throw new Error(
        `${name} registry: kind "${e.kind}" is not kebab-case (lower-case letters, digits, single dashes)`,
      );
    if (map.has(e.kind)) throw new Error(`${name} registry: kind "${e.kind}" is registered twice`);
    map.set(e.kind, e);
  }
  return map;
}
