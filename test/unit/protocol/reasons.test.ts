/**
 * The reason catalogue (services/protocol/reasons.ts): every code has Vietnamese and English text
 * whose placeholders are exactly its params, as the service renders it and as the dashboard does.
 */
import { describe, expect, it } from 'vitest';
import { DEVICE_TYPES } from '../../../services/device-types/registry.ts';
import { REASON_CODES, REASONS, WIRE_REASON_CODES } from '../../../services/protocol/reasons.ts';
import { CATALOGUES, reasonText, t } from '../../../services/shared/i18n/index.ts';

// The dashboard's i18n touches document and localStorage; plain objects stand in for both.
Object.assign(globalThis, {
  document: { documentElement: { lang: '' } },
  localStorage: { getItem: () => null, setItem: () => undefined },
});
const dashboard = await import('../../../dashboard/src/i18n.ts');

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
/** Params filled with markers, so a rendered text shows each one was used. */
const sample = (code: keyof typeof REASONS) =>
  Object.fromEntries(REASONS[code].params.map((p) => [p, `<${p}>`]));

describe('reason catalogue', () => {
  it('has vi and en text for every code, with exactly its params as placeholders', () => {
    const bad: string[] = [];
    for (const code of REASON_CODES)
      for (const locale of ['vi', 'en'] as const) {
        const text = CATALOGUES[locale][`reason.${code}`];
        if (text === undefined) bad.push(`${locale}: reason.${code} missing`);
        else if (placeholders(text).join() !== [...REASONS[code].params].sort().join())
          bad.push(
            `${locale}: reason.${code} has {${placeholders(text)}}, params are {${REASONS[code].params}}`,
          );
      }
    expect(bad).toEqual([]);
  });

  it('renders every code with all its params in the service and in the dashboard, in both languages', () => {
    const bad: string[] = [];
    for (const locale of ['vi', 'en'] as const) {
      dashboard.setLocale(locale);
      for (const code of REASON_CODES) {
        const params = sample(code);
        const server = t(locale, `reason.${code}`, params);
        const browser = dashboard.reasonText(code, params);
        if (browser !== server) bad.push(`${locale} ${code}: dashboard "${browser}" ≠ service "${server}"`);
        if (server === `reason.${code}` || /\{\w+\}/.test(server)) bad.push(`${locale} ${code}: "${server}"`);
        for (const v of Object.values(params))
          if (!server.includes(v)) bad.push(`${locale} ${code}: no ${v}`);
      }
    }
    dashboard.setLocale('vi');
    expect(bad).toEqual([]);
  });

  it('has text variants by upstream type only for codes with a type param, using only their params', () => {
    const kinds = new Set(DEVICE_TYPES.map((d) => d.kind));
    const bad: string[] = [];
    for (const locale of ['vi', 'en'] as const)
      for (const [key, text] of Object.entries(CATALOGUES[locale])) {
        const m = /^reason\.([^.]+)\.(.+)$/.exec(key);
        if (!m) continue;
        const [, code, type] = m as unknown as [string, keyof typeof REASONS, string];
        const params: readonly string[] = REASONS[code]?.params ?? [];
        if (!params.includes('type')) bad.push(`${locale}: ${key} but ${code} has no type param`);
        if (!kinds.has(type)) bad.push(`${locale}: ${key} names no device type`);
        for (const p of placeholders(text)) if (!params.includes(p)) bad.push(`${locale}: ${key} has {${p}}`);
        if (CATALOGUES[locale === 'vi' ? 'en' : 'vi'][key] === undefined)
          bad.push(`${key} only in ${locale}`);
      }
    expect(bad).toEqual([]);
  });

  it('names a LoRa gateway as a gateway and an internet line as a line, the same in service and dashboard', () => {
    for (const locale of ['vi', 'en'] as const) {
      dashboard.setLocale(locale);
      for (const [type, vi, en] of [
        ['gateway', 'Gateway LoRa ấp 10 mất kết nối', 'Gateway LoRa ấp 10 is down'],
        ['uplink', 'Đường truyền internet LoRa ấp 10 mất kết nối', 'Internet line LoRa ấp 10 is down'],
      ] as const) {
        const params = { deviceId: 'tl-gw-lora-01', name: 'LoRa ấp 10', type };
        expect(reasonText(locale, 'upstream-down', params)).toBe(locale === 'vi' ? vi : en);
        expect(dashboard.reasonText('upstream-down', params)).toBe(locale === 'vi' ? vi : en);
      }
      // A type without a variant falls back to the generic text, which names the type.
      const cam = { deviceId: 'c1', name: 'Camera', type: 'camera' };
      expect(dashboard.reasonText('upstream-degraded', cam)).toBe(
        reasonText(locale, 'upstream-degraded', cam),
      );
      expect(reasonText(locale, 'upstream-degraded', cam)).toContain('camera');
    }
    dashboard.setLocale('vi');
  });

  it('keeps codes kebab-case and lets the wire carry only some of them', () => {
    expect(REASON_CODES.filter((c) => !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(c))).toEqual([]);
    expect(WIRE_REASON_CODES).toEqual(
      expect.arrayContaining(['last-will', 'gateway-text', 'adapter-crashed']),
    );
    // The engine's own conclusions cannot be claimed by a device or an adapter.
    for (const c of ['heartbeat-late', 'uplink-down', 'service-restart', 'maintenance'])
      expect(WIRE_REASON_CODES).not.toContain(c);
  });
});
