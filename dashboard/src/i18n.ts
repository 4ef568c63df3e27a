/**
 * One catalogue for server and dashboard: services/shared/i18n/vi.json is the source, en.json the translation.
 * Keys are dotted, placeholders named (`{minutes}`); test/unit/i18n/catalogue.test.ts keeps the two in step.
 */

import { reasonKey } from '../../services/protocol/reasons.ts';
import en from '../../services/shared/i18n/en.json' with { type: 'json' };
import vi from '../../services/shared/i18n/vi.json' with { type: 'json' };
import type { Params } from './types.ts';

export type Locale = 'vi' | 'en';
export const LOCALES: readonly Locale[] = ['vi', 'en'];

const catalogues: Record<Locale, Readonly<Record<string, string>>> = { vi, en };
const STORAGE_KEY = 'cx.locale';
/** Times are shown in Vietnam's zone whatever the viewer's machine says: reports and field teams agree. */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

let current: Locale = 'vi';
const listeners = new Set<(l: Locale) => void>();

function isLocale(x: unknown): x is Locale {
  return x === 'vi' || x === 'en';
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch (err) {
    // Private mode or disabled storage: fall back to the default, the switch still works for this page.
    console.warn('locale: localStorage unavailable', err);
    return null;
  }
}

/** Picks the stored choice, else the server's default, else Vietnamese. */
export function initLocale(defaultLocale?: string): Locale {
  const stored = readStored();
  current = isLocale(stored) ? stored : isLocale(defaultLocale) ? defaultLocale : 'vi';
  document.documentElement.lang = current;
  return current;
}

export function getLocale(): Locale {
  return current;
}

export function setLocale(l: Locale): void {
  if (l === current) return;
  current = l;
  document.documentElement.lang = l;
  try {
    localStorage.setItem(STORAGE_KEY, l);
  } catch (err) {
    console.warn('locale: could not persist choice', err);
  }
  for (const fn of listeners) fn(l);
}

export function onLocaleChange(fn: (l: Locale) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function hasKey(key: string): boolean {
  return key in catalogues[current];
}

function formatParam(v: Params[string]): string {
  if (typeof v === 'number') return formatNumber(v);
  if (v === null || v === undefined) return '–';
  return String(v);
}

/** Text for `key` in the current locale with `{name}` placeholders filled; the key itself if missing. */
export function t(key: string, params: Params = {}): string {
  const text = catalogues[current][key] ?? catalogues.vi[key];
  if (text === undefined) {
    console.warn(`i18n: missing key "${key}"`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? formatParam(params[name]) : m));
}

/** `t(prefix + code)` when that key exists, else the raw code (a reason the catalogue does not know yet). */
export function tCode(prefix: string, code: string, params: Params = {}): string {
  const key = `${prefix}.${code}`;
  return hasKey(key) ? t(key, params) : code;
}

/** A state-change reason from the API: `reason` code + `params`. */
export function reasonText(reason: string, params: Params = {}): string {
  const key = reasonKey(reason, params as Readonly<Record<string, string | number>>, hasKey);
  return hasKey(key) ? t(key, params) : reason;
}

export function intlLocale(): string {
  return current === 'vi' ? 'vi-VN' : 'en-GB';
}

const numberFormats = new Map<string, Intl.NumberFormat>();
/** 1.234,5 in Vietnamese, 1,234.5 in English. */
export function formatNumber(n: number, maxFractionDigits = 1): string {
  const k = `${current}:${maxFractionDigits}`;
  let f = numberFormats.get(k);
  if (!f) {
    f = new Intl.NumberFormat(intlLocale(), { maximumFractionDigits: maxFractionDigits });
    numberFormats.set(k, f);
  }
  return f.format(n);
}

const partsFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function parts(ts: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of partsFormat.formatToParts(ts)) out[p.type] = p.value;
  return out;
}

/** 23/11/2026 14:05 in Asia/Ho_Chi_Minh (same layout in both languages, as Vietnamese forms write it). */
export function formatDateTime(ts: number, withSeconds = false): string {
  const p = parts(ts);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}${withSeconds ? `:${p.second}` : ''}`;
}

export function formatTime(ts: number): string {
  const p = parts(ts);
  return `${p.hour}:${p.minute}`;
}

/** A calendar date: an ISO date string from the commune file (no zone shift) or epoch ms. */
export function formatDate(d: string | number | null | undefined): string {
  if (d === null || d === undefined || d === '') return '–';
  if (typeof d === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(d);
    if (m) return `${m[3]}/${m[2]}/${m[1]}`;
    const ms = Date.parse(d);
    return Number.isNaN(ms) ? d : formatDate(ms);
  }
  const p = parts(d);
  return `${p.day}/${p.month}/${p.year}`;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "5 phút trước" / "5 minutes ago"; "vừa xong" under 10 s. */
export function formatRelative(ts: number, now = Date.now()): string {
  const diff = ts - now;
  const abs = Math.abs(diff);
  if (abs < 10_000) return t('time.justNow');
  const rtf = new Intl.RelativeTimeFormat(current, { numeric: 'always' });
  for (const [unit, ms] of UNITS) {
    if (abs >= ms || unit === 'second') return rtf.format(Math.trunc(diff / ms), unit);
  }
  return rtf.format(0, 'second');
}

/** "2 giờ 5 phút" / "2 h 5 min": the two largest non-zero units. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return t('duration.seconds', { n: 0 });
  const units: [(n: number) => string, number][] = [
    [(n) => t('duration.days', { n }), 86_400_000],
    [(n) => t('duration.hours', { n }), 3_600_000],
    [(n) => t('duration.minutes', { n }), 60_000],
    [(n) => t('duration.seconds', { n }), 1000],
  ];
  const out: string[] = [];
  let rest = ms;
  let taken = 0;
  for (const [label, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (taken === 0 && n === 0) continue;
    if (n > 0) out.push(label(n));
    if (++taken === 2) break;
  }
  return out.join(' ');
}
