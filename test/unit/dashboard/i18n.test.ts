import { describe, expect, it } from 'vitest';

// i18n.ts touches document.documentElement.lang and localStorage; plain objects stand in for both.
const stored = new Map<string, string>();
Object.assign(globalThis, {
  document: { documentElement: { lang: '' } },
  localStorage: {
    getItem: (k: string) => stored.get(k) ?? null,
    setItem: (k: string, v: string) => void stored.set(k, v),
  },
});

const i18n = await import('../../../dashboard/src/i18n.ts');

// 2026-11-23 14:05:09 in Hồ Chí Minh City (UTC+7) is 07:05:09 UTC.
const TS = Date.UTC(2026, 10, 23, 7, 5, 9);

describe('dashboard i18n', () => {
  it('starts in Vietnamese and fills named placeholders', () => {
    expect(i18n.initLocale(undefined)).toBe('vi');
    expect(i18n.t('error.CX_TOO_MANY_LOGINS', { minutes: 15 })).toBe(
      'Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.',
    );
  });

  it('renders API reasons from code + params, and unknown codes as themselves', () => {
    expect(i18n.reasonText('heartbeat-late', { seconds: 90 })).toBe('Quá 90 giây không nhận tín hiệu');
    expect(i18n.reasonText('some-new-reason')).toBe('some-new-reason');
  });

  it('formats numbers the Vietnamese way', () => {
    expect(i18n.formatNumber(1234.5)).toBe('1.234,5');
  });

  it('shows times in Asia/Ho_Chi_Minh as dd/mm/yyyy HH:mm', () => {
    expect(i18n.formatDateTime(TS)).toBe('23/11/2026 14:05');
    expect(i18n.formatDateTime(TS, true)).toBe('23/11/2026 14:05:09');
    expect(i18n.formatDate('2026-03-15')).toBe('15/03/2026');
  });

  it('says how long ago', () => {
    expect(i18n.formatRelative(TS - 5 * 60_000, TS)).toBe('5 phút trước');
    expect(i18n.formatRelative(TS - 3000, TS)).toBe('vừa xong');
    expect(i18n.formatDuration(2 * 3_600_000 + 5 * 60_000 + 7000)).toBe('2 giờ 5 phút');
    expect(i18n.formatDuration(3 * 86_400_000 + 20_000)).toBe('3 ngày');
  });

  it('switches to English, remembers the choice and tells listeners', () => {
    const seen: string[] = [];
    const off = i18n.onLocaleChange((l) => seen.push(l));
    i18n.setLocale('en');
    off();
    expect(seen).toEqual(['en']);
    expect(stored.get('cx.locale')).toBe('en');
    expect(i18n.t('state.down')).toBe('Offline');
    expect(i18n.formatNumber(1234.5)).toBe('1,234.5');
    expect(i18n.formatRelative(TS - 5 * 60_000, TS)).toBe('5 minutes ago');
    expect(i18n.initLocale('vi')).toBe('en');
    i18n.setLocale('vi');
  });
});
