import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { staleReason } from '../../../services/api/dashboard-build.ts';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A repository with one source file and a dist built from it at `builtS` (seconds). */
function repo(builtS: number, sourceS: number): { root: string; dist: string } {
  const root = mkdtempSync(join(tmpdir(), 'cx-dash-'));
  made.push(root);
  const dist = join(root, 'dashboard', 'dist');
  mkdirSync(join(root, 'dashboard', 'src'), { recursive: true });
  mkdirSync(dist);
  writeFileSync(join(root, 'dashboard', 'src', 'main.ts'), '');
  utimesSync(join(root, 'dashboard', 'src', 'main.ts'), sourceS, sourceS);
  writeFileSync(join(dist, 'index.html'), '<!doctype html>');
  writeFileSync(join(dist, 'app.js'), '');
  utimesSync(join(dist, 'app.js'), builtS, builtS);
  writeFileSync(join(dist, 'inputs.json'), JSON.stringify(['dashboard/src/main.ts']));
  return { root, dist };
}

describe('staleReason (does dashboard/dist need a build?)', () => {
  it('is null for a build newer than every one of its sources', () => {
    const { root, dist } = repo(2_000_000, 1_000_000);
    expect(staleReason(dist, root)).toBeNull();
  });

  it('names the source changed since the build', () => {
    const { root, dist } = repo(1_000_000, 2_000_000);
    expect(staleReason(dist, root)).toBe('dashboard/src/main.ts changed since the build');
  });

  it('names a missing build, a missing bundle and a missing list of sources', () => {
    const { root, dist } = repo(2_000_000, 1_000_000);
    rmSync(join(dist, 'inputs.json'));
    expect(staleReason(dist, root)).toBe('built without a list of its sources');
    rmSync(join(dist, 'app.js'));
    expect(staleReason(dist, root)).toBe('not built');
    expect(staleReason(join(root, 'nowhere'), root)).toBe('not built');
  });

  it('names a source that is gone', () => {
    const { root, dist } = repo(2_000_000, 1_000_000);
    rmSync(join(root, 'dashboard', 'src', 'main.ts'));
    expect(staleReason(dist, root)).toBe('dashboard/src/main.ts is gone');
  });
});
