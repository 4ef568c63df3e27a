import { reasonKey } from '../../protocol/reasons.ts';
import en from './en.json' with { type: 'json' };
import vi from './vi.json' with { type: 'json' };

export type Locale = 'vi' | 'en';
export const CATALOGUES: Readonly<Record<Locale, Readonly<Record<string, string>>>> = { vi, en };

/**
 * A fraction the way the reader writes it: 1.234,5 in Vietnamese, 1,234.5 in English. Whole numbers are
 * left as they are: a year or an id must not become 2.026.
 */
const FRACTION: Readonly<Record<Locale, Intl.NumberFormat>> = {
  vi: new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 2 }),
  en: new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 }),
};

function shown(locale: Locale, value: string | number): string {
  return typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value)
    ? FRACTION[locale].format(value)
    : String(value);
}

/** Renders a catalogue key with named {placeholders}; a missing key shows itself, never throws. */
export function t(
  locale: Locale,
  key: string,
  params: Readonly<Record<string, string | number>> = {},
): string {
  const text = CATALOGUES[locale][key] ?? CATALOGUES.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name: string) =>
    params[name] === undefined ? m : shown(locale, params[name]),
  );
}

/** Vietnamese unless the client asks for English first. */
export function localeFrom(acceptLanguage: string | undefined, explicit?: string): Locale {
  if (explicit === 'en' || explicit === 'vi') return explicit;
  return acceptLanguage?.trim().toLowerCase().startsWith('en') ? 'en' : 'vi';
}

/** A reason's text: by the upstream's type where the catalogue has a variant (services/protocol/reasons.ts). */
export function reasonText(
  locale: Locale,
  code: string,
  params: Readonly<Record<string, string | number>> = {},
): string {
  return t(
    locale,
    reasonKey(code, params, (k) => CATALOGUES.vi[k] !== undefined),
    params,
  );
}
