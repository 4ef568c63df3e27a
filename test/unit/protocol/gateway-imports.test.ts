/**
 * Gateway code (adapters, the simulator) speaks only the wire protocol: it may import
 * services/protocol/, its own files and npm packages, never ingest or any other service internals,
 * so an adapter can run on a box at a hamlet and the service can change behind the protocol.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const GATEWAY = join(ROOT, 'gateway');
const PROTOCOL = join(ROOT, 'services/protocol');
/** Pure helpers with no I/O and no service state, shared by every registry. */
const SHARED_PURE = [join(ROOT, 'services/shared/registry.ts')];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|mts|js|mjs)$/.test(name) ? [p] : [];
  });
}

/** Every module specifier: static imports and re-exports (type-only too), dynamic import(), require(). */
function specifiers(src: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g,
    /\bimport\s*(['"])([^'"]+)\1/g,
    /\bimport\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
    /\brequire\s*\(\s*(['"])([^'"]+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of src.matchAll(re)) out.push(m[2]!);
  return out;
}

const inside = (file: string, dir: string) => !relative(dir, file).startsWith('..');

describe('gateway imports', () => {
  it('finds every kind of import (the scanner itself)', () => {
    const src = `import a from 'mqtt';\nimport type { B } from '../x.ts';\nexport { c } from "./c.ts";\nimport './side.ts';\nconst d = await import('../../services/ingest/spool.ts');`;
    expect(specifiers(src).sort()).toEqual(
      ['../../services/ingest/spool.ts', '../x.ts', './c.ts', './side.ts', 'mqtt'].sort(),
    );
  });

  it('reaches only services/protocol/, the registry helper and gateway/ itself', () => {
    const files = sourceFiles(GATEWAY);
    expect(files.length).toBeGreaterThan(0);
    const bad: string[] = [];
    let protocolImports = 0;
    for (const file of files)
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.') && !spec.startsWith('/')) {
          // A package, or node:*: fine, unless it reaches into this repository by another name.
          if (spec.startsWith('#')) bad.push(`${relative(ROOT, file)}: ${spec}`);
          continue;
        }
        const target = resolve(dirname(file), spec);
        if (inside(target, PROTOCOL)) protocolImports += 1;
        else if (!inside(target, GATEWAY) && !SHARED_PURE.includes(target))
          bad.push(`${relative(ROOT, file)}: ${spec}`);
      }
    expect(bad, 'gateway/ may import only services/protocol/, the registry helper and its own files').toEqual(
      [],
    );
    expect(protocolImports).toBeGreaterThan(0);
  });
});
