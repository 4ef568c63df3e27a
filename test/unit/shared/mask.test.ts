import { describe, expect, it } from 'vitest';
import { maskName, shownName } from '../../../services/shared/mask.ts';

describe('maskName', () => {
  it('keeps two characters and the length, counting Vietnamese letters as one each', () => {
    expect(maskName('Mat-Khau-Go-Nham')).toBe('Ma…(16)');
    expect(maskName('Đặng-Thị-Ánh')).toBe('Đặ…(12)');
  });

  it('shows nothing of a short name but its length', () => {
    expect(maskName('abcd')).toBe('…(4)');
    expect(maskName('')).toBe('…(0)');
  });

  it('shows a known name whole', () => {
    expect(shownName('tl-cam-01', true)).toBe('tl-cam-01');
    expect(shownName('tl-cam-01', false)).toBe('tl…(9)');
  });
});
