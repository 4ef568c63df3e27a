import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../config/schema/commune.ts';
import { DEVICE_TYPES } from '../../services/device-types/registry.ts';
import { CHANNEL_HANDLERS } from '../../services/ingest/handlers/registry.ts';
import { CHANNELS } from '../../services/protocol/topics.ts';
import { STORES } from '../../services/store/registry.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const filesIn = (dir: string, exclude: string[]) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.ts') && !exclude.includes(f))
    .map((f) => f.replace(/\.ts$/, ''));

/** Invariants over every entry of every registry table (STYLE.md §2–3). */
describe('registries', () => {
  const tables = [
    {
      name: 'device types',
      entries: DEVICE_TYPES as ReadonlyArray<{ kind: string; label: { vi: string; en: string } }>,
    },
    { name: 'stores', entries: STORES as ReadonlyArray<{ kind: string; label: { vi: string; en: string } }> },
  ];
  for (const { name, entries } of tables) {
    it(`${name}: kinds are unique kebab-case with Vietnamese and English labels`, () => {
      const kinds = entries.map((e) => e.kind);
      expect(new Set(kinds).size).toBe(kinds.length);
      for (const e of entries) {
        expect(e.kind).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(e.label.vi.trim().length, `${e.kind} vi`).toBeGreaterThan(0);
        expect(e.label.en.trim().length, `${e.kind} en`).toBeGreaterThan(0);
        expect(e.label.vi.normalize('NFC')).toBe(e.label.vi);
      }
    });
  }

  it('every device-type file is listed in the registry, and every kind is named after its file', () => {
    const files = filesIn('services/device-types', ['registry.ts', 'device-type.ts']);
    expect(files.sort()).toEqual(DEVICE_TYPES.map((t) => t.kind).sort());
  });

  it('every store implementation folder is registered', () => {
    const folders = readdirSync(join(ROOT, 'services/store'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    const byFolder: Record<string, string> = { embedded: 'sqlite', influxdb: 'influxdb' };
    for (const f of folders)
      expect(
        STORES.map((s) => s.kind),
        f,
      ).toContain(byFolder[f]);
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
