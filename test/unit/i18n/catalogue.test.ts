/**
 * The one catalogue shared by server and dashboard (services/shared/i18n): Vietnamese is the source,
 * English the translation. Every key in both, same placeholders, no empty text, and every key the
 * code names has text.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../../../config/schema/commune.ts';
import { LORAWAN_REJECT_REASONS } from '../../../gateway/lorawan/decoder.ts';
import { REFUSAL_REASONS } from '../../../services/broker/hook-context.ts';
import { DEVICE_TYPES } from '../../../services/device-types/registry.ts';
import { INGEST_REJECT_REASONS } from '../../../services/ingest/ingest.ts';
import { ERROR_CODES } from '../../../services/shared/errors.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const I18N = join(ROOT, 'services/shared/i18n');
const DASHBOARD_SRC = join(ROOT, 'dashboard/src');
const STATES = ['up', 'degraded', 'down', 'unreachable', 'maintenance', 'unknown'];

const load = (lang: string): Record<string, string> =>
  JSON.parse(readFileSync(join(I18N, `${lang}.json`), 'utf8'));
const vi = load('vi');
const en = load('en');
const catalogues = { vi, en };

function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Keys passed literally to t('…') in the dashboard, with where they are used. */
function dashboardKeys(): Map<string, string> {
  const keys = new Map<string, string>();
  for (const file of tsFiles(DASHBOARD_SRC)) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\bt\(\s*(['"`])([^'"`$]+)\1/g)) keys.set(m[2]!, relative(ROOT, file));
  }
  return keys;
}

function missingIn(keys: Iterable<string>): string[] {
  const out: string[] = [];
  for (const k of keys)
    for (const [lang, cat] of Object.entries(catalogues)) if (!(k in cat)) out.push(`${lang}: ${k}`);
  return out;
}

describe('i18n catalogue (services/shared/i18n)', () => {
  it('has every key in both languages', () => {
    expect(
      Object.keys(vi).filter((k) => !(k in en)),
      'keys missing in en.json',
    ).toEqual([]);
    expect(
      Object.keys(en).filter((k) => !(k in vi)),
      'keys missing in vi.json',
    ).toEqual([]);
  });

  it('uses the same named placeholders in both languages', () => {
    const differ = Object.keys(vi)
      .filter((k) => k in en && placeholders(vi[k]!).join() !== placeholders(en[k]!).join())
      .map((k) => `${k}: vi {${placeholders(vi[k]!).join(', ')}} ≠ en {${placeholders(en[k]!).join(', ')}}`);
    expect(differ).toEqual([]);
  });

  it('has no empty text', () => {
    const empty = Object.entries(catalogues).flatMap(([lang, cat]) =>
      Object.entries(cat)
        .filter(([, v]) => typeof v !== 'string' || v.trim() === '')
        .map(([k]) => `${lang}: ${k}`),
    );
    expect(empty).toEqual([]);
  });

  it('keeps keys dotted and Vietnamese text in NFC', () => {
    expect(Object.keys(vi).filter((k) => !/^[a-z][a-zA-Z]*(\.[A-Za-z0-9_-]+)+$/.test(k))).toEqual([]);
    expect(
      Object.entries(vi)
        .filter(([, v]) => v !== v.normalize('NFC'))
        .map(([k]) => k),
    ).toEqual([]);
  });

  it('has text for every t() key used in dashboard/src', () => {
    const used = dashboardKeys();
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].flatMap(([k, file]) => missingIn([k]).map((m) => `${m} (used in ${file})`));
    expect(missing).toEqual([]);
  });

  it('has text for every error code (error.<CODE>)', () => {
    expect(missingIn(Object.keys(ERROR_CODES).map((c) => `error.${c}`))).toEqual([]);
    for (const [code, spec] of Object.entries(ERROR_CODES)) expect(spec.key).toBe(`error.${code}`);
  });

  it('has text for every device state, role and telemetry metric', () => {
    expect(missingIn(STATES.map((s) => `state.${s}`))).toEqual([]);
    expect(missingIn(ROLES.map((r) => `role.${r}`))).toEqual([]);
    const metrics = new Set(DEVICE_TYPES.flatMap((dt) => dt.metrics));
    expect(missingIn([...metrics].map((m) => `metric.${m}`))).toEqual([]);
  });

  it('has a Vietnamese and an English label for every device type', () => {
    const bad = DEVICE_TYPES.filter((dt) => !dt.label.vi?.trim() || !dt.label.en?.trim()).map(
      (dt) => dt.kind,
    );
    expect(bad).toEqual([]);
  });

  it('has text for every refusal reason of the broker, ingest and the store (reject.<reason>)', () => {
    const reasons = [
      ...REFUSAL_REASONS,
      ...INGEST_REJECT_REASONS,
      ...LORAWAN_REJECT_REASONS,
      'store-refused',
    ];
    expect(missingIn(reasons.map((r) => `reject.${r}`))).toEqual([]);
  });
});

describe('numbers in rendered text', () => {
  it('writes a fraction the reader’s way and leaves whole numbers (years, ids) alone', async () => {
    const { t, CATALOGUES } = await import('../../../services/shared/i18n/index.ts');
    const key = Object.keys(CATALOGUES.vi).find((k) => CATALOGUES.vi[k]!.includes('{value}'));
    expect(key).toBeDefined();
    expect(t('vi', key!, { value: 1234.5 })).toContain('1.234,5');
    expect(t('en', key!, { value: 1234.5 })).toContain('1,234.5');
    expect(t('vi', key!, { value: 2026 })).toContain('2026');
  });
});
