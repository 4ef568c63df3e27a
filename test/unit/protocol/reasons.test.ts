/**
 * The reason catalogue (services/protocol/reasons.ts): every code has Vietnamese and English text
 * whose placeholders are exactly its params, as the service renders it and as the dashboard does.
 */
import { describe, expect, it } from 'vitest';
import { REASON_CODES, REASONS, WIRE_REASON_CODES } from '../../../services/protocol/reasons.ts';
import { CATALOGUES, t } from '../../../services/shared/i18n/index.ts';

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
