import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../config/schema/commune.ts';
import { DEVICE_TYPES } from '../../services/device-types/registry.ts';
import { CHANNEL_HANDLERS } from '../../services/ingest/handlers/registry.ts';
import { CHANNELS } from '../../services/protocol/topics.ts';
import { defineRegistry } from '../../services/shared/registry.ts';
import { CONFORMANCE_INDEX } from './index.ts';
import { unlistedFiles } from './registry-files.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const filesIn = (dir: string, exclude: string[]) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !exclude.includes(f))
    .map((f) => f.replace(/\.ts$/, ''));

/** Every .ts file under a folder, recursively. */
const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));

/** Invariants over every entry of every registry table (STYLE.md §2–3). */
describe('registries', () => {
  for (const { registry, entries } of CONFORMANCE_INDEX) {
    it(`${registry}: kinds are unique kebab-case with Vietnamese and English labels`, () => {
      const kinds = entries.map((e) => e.kind);
      expect(new Set(kinds).size).toBe(kinds.length);
      for (const e of entries) {
        expect(e.kind).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(e.label.vi.trim().length, `${e.kind} vi`).toBeGreaterThan(0);
        expect(e.label.en.trim().length, `${e.kind} en`).toBeGreaterThan(0);
        expect(e.label.vi.normalize('NFC')).toBe(e.label.vi);
      }
    });

    it(`${registry}: every exampleConfig passes its own configSchema`, () => {
      for (const e of entries) {
        // A kind that takes no settings at all (a payload codec) has no schema to check.
        if (!('configSchema' in e)) continue;
        const parsed = e.configSchema.safeParse(e.exampleConfig);
        expect(parsed.success, `${e.kind}: ${parsed.error?.message}`).toBe(true);
      }
    });
  }

  for (const { registry, folder, entries, layout } of CONFORMANCE_INDEX) {
    it(`${registry}: every entry of ${folder} is registered, and every kind has its entry there`, () => {
      const kinds = entries.map((e) => e.kind);
      expect(unlistedFiles(join(ROOT, folder), kinds, layout)).toEqual({ files: [], kinds: [] });
    });
  }

  it('every registry built with defineRegistry is in the conformance index', () => {
    const names = new Set<string>();
    for (const file of [...sources('services'), ...sources('gateway')])
      for (const m of readFileSync(file, 'utf8').matchAll(/defineRegistry\(\s*'([^']+)'/g)) names.add(m[1]!);
    expect([...names].sort()).toEqual(CONFORMANCE_INDEX.map((c) => c.registry).sort());
  });

  it('every registered kind runs its conformance suite (test/conformance/*.test.ts)', () => {
    const dir = join(ROOT, 'test/conformance');
    const tests = readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    for (const { registry, entries, suite, call } of CONFORMANCE_INDEX) {
      expect(readFileSync(join(dir, suite), 'utf8'), suite).toContain(`export function ${call}(`);
      const missing = entries
        .map((e) => e.kind)
        .filter((kind) => !new RegExp(`\\b${call}\\(\\s*['"]${kind}['"]`).test(tests));
      expect(missing, `${registry} kinds with no ${call}('<kind>', …) run`).toEqual([]);
    }
  });

  it('defineRegistry refuses a kind that is not kebab-case, or one registered twice, naming both', () => {
    const label = { vi: 'x', en: 'x' };
    expect(() => defineRegistry('probe', [{ kind: 'Onvif', label }])).toThrow(
      /probe registry: kind "Onvif" is not kebab-case/,
    );
    expect(() => defineRegistry('probe', [{ kind: 'tcp_port', label }])).toThrow(/not kebab-case/);
    expect(() =>
      defineRegistry('probe', [
        { kind: 'icmp', label },
        { kind: 'icmp', label },
      ]),
    ).toThrow(/probe registry: kind "icmp" is registered twice/);
    expect([
      ...defineRegistry('probe', [
        { kind: 'icmp', label },
        { kind: 'onvif-camera', label },
      ]).keys(),
    ]).toEqual(['icmp', 'onvif-camera']);
  });

  it('unlistedFiles names a file with no kind and a kind with no file', () => {
    const dir = join(ROOT, 'services/device-types');
    const kinds = DEVICE_TYPES.map((t) => t.kind).filter((k) => k !== 'gateway');
    expect(unlistedFiles(dir, [...kinds, 'siren'], { exclude: ['registry.ts', 'device-type.ts'] })).toEqual({
      files: ['gateway'],
      kinds: ['siren'],
    });
  });

  it('every topic channel has a handler file and every handler file a channel', () => {
    const files = filesIn('services/ingest/handlers', ['registry.ts', 'handler.ts']);
    expect(files.sort()).toEqual([...CHANNELS].sort());
    expect(Object.keys(CHANNEL_HANDLERS).sort()).toEqual([...CHANNELS].sort());
  });

  it('device types name only real roles, and cameras are for the police alone', () => {
    for (const t of DEVICE_TYPES) for (const r of t.audience) expect(ROLES).toContain(r);
    expect(DEVICE_TYPES.find((t) => t.kind === 'camera')?.audience).toEqual(['police']);
  });

  it('the province (and so the IOC feed) sees every type but the sensitive ones', () => {
    for (const t of DEVICE_TYPES) expect(t.audience.includes('province'), t.kind).toBe(!t.sensitive);
  });

  it('liveness windows are sane: a sleepy type waits longer than one report interval', () => {
    for (const t of DEVICE_TYPES) {
      expect(t.liveness.heartbeatIntervalSec).toBeGreaterThan(0);
      if (t.sleepy) expect(t.liveness.graceSec).toBeGreaterThanOrEqual(t.liveness.heartbeatIntervalSec);
    }
  });
});
