import { readdirSync } from 'node:fs';

// Kept out of services/shared/registry.ts: that module is bundled into the dashboard, which has no
// file system.

/**
 * For tests: the `.ts` files of `dir` (absolute) that no registered kind accounts for, and the
 * kinds that no file accounts for. `fileOf` maps a kind to its file's base name (default: the
 * kind itself, as STYLE.md §7 names files); `exclude` lists the folder's non-entry files. With
 * `folders`, an implementation is a sub-folder (stores: embedded/, influxdb/), not a file.
 */
export function unlistedFiles(
  dir: string,
  kinds: Iterable<string>,
  opts: { exclude?: readonly string[]; fileOf?: (kind: string) => string; folders?: boolean } = {},
): { files: string[]; kinds: string[] } {
  const fileOf = opts.fileOf ?? ((k: string) => k);
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => (opts.folders ? e.isDirectory() : e.isFile() && e.name.endsWith('.ts')))
    .map((e) => e.name)
    .filter((f) => !(opts.exclude ?? []).includes(f))
    .map((f) => f.replace(/\.ts$/, ''));
  const expected = new Map([...kinds].map((k) => [fileOf(k), k]));
  return {
    files: files.filter((f) => !expected.has(f)).sort(),
    kinds: [...expected]
      .filter(([f]) => !files.includes(f))
      .map(([, k]) => k)
      .sort(),
  };
}
