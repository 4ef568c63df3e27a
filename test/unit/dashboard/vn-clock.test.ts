import { describe, expect, it } from 'vitest';
import {
  clockText,
  parseClock,
  parseVnDateTime,
  vnDateText,
  vnTimeText,
} from '../../../dashboard/src/components/vn-clock.ts';

describe('dates and times as typed in the commune (Vietnam time, 24 h)', () => {
  it('reads dd/mm/yyyy HH:MM as Vietnam time whatever the machine zone', () => {
    expect(parseVnDateTime('02/12/2026', '22:00')).toBe(Date.UTC(2026, 11, 2, 15, 0));
    expect(parseVnDateTime('2/1/2027', '0:05')).toBe(Date.UTC(2027, 0, 1, 17, 5));
    expect(parseVnDateTime('02-12-2026', '07h30')).toBe(Date.UTC(2026, 11, 2, 0, 30));
  });

  it('refuses what is not a real date or a 24-hour time', () => {
    for (const [d, t] of [
      ['31/02/2026', '10:00'],
      ['12/2026', '10:00'],
      ['2026-12-02', '10:00'],
      ['02/12/2026', '24:00'],
      ['02/12/2026', '10:60'],
      ['02/12/2026', '10 PM'],
    ])
      expect(parseVnDateTime(d!, t!), `${d} ${t}`).toBeNull();
  });

  it('writes an instant back as the same text', () => {
    const ts = Date.UTC(2026, 11, 31, 18, 45); // 01:45 on 1 January 2027 in Vietnam
    expect(vnDateText(ts)).toBe('01/01/2027');
    expect(vnTimeText(ts)).toBe('01:45');
    expect(parseVnDateTime(vnDateText(ts), vnTimeText(ts))).toBe(ts);
    expect(parseClock('9:05')).toBe(545);
    expect(clockText(545)).toBe('09:05');
  });
});
