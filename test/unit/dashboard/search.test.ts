import { describe, expect, it } from 'vitest';
import { matchesQuery, normalizeText, queryMatcher } from '../../../dashboard/src/search.ts';

describe('normalizeText', () => {
  it('strips Vietnamese diacritics and lower-cases', () => {
    expect(normalizeText('Tà Lài')).toBe('ta lai');
    expect(normalizeText('Nhà văn hóa ấp 3')).toBe('nha van hoa ap 3');
    expect(normalizeText('Trạm Y tế xã')).toBe('tram y te xa');
  });

  it('maps đ and Đ to d (they are letters, not a combining mark)', () => {
    expect(normalizeText('Đồng Nai')).toBe('dong nai');
    expect(normalizeText('đường truyền')).toBe('duong truyen');
  });

  it('treats precomposed (NFC) and decomposed (NFD) input the same', () => {
    expect(normalizeText('Lài'.normalize('NFD'))).toBe(normalizeText('Lài'.normalize('NFC')));
    expect(normalizeText('hoá')).toBe(normalizeText('hóa'));
  });

  it('collapses and trims whitespace', () => {
    expect(normalizeText('  Ấp\t 5  ')).toBe('ap 5');
  });
});

describe('matchesQuery', () => {
  const cam = ['Camera tầm cao Ngã ba Tà Lài', 'tl-cam-01', 'Ngã ba Tà Lài', 'Ấp 5'];
  const house = ['Loa Nhà văn hóa ấp 10', 'tl-loa-10', 'Nhà văn hóa ấp 10', 'Ấp 10'];

  it('finds accented text from an unaccented query', () => {
    expect(matchesQuery('ta lai', cam)).toBe(true);
    expect(matchesQuery('nha van hoa', house)).toBe(true);
    expect(matchesQuery('nha van hoa', cam)).toBe(false);
  });

  it('accepts accented and mixed-case queries too', () => {
    expect(matchesQuery('TÀ LÀI', cam)).toBe(true);
    expect(matchesQuery('Nhà Văn Hóa', house)).toBe(true);
  });

  it('matches ids and words in any order across fields', () => {
    expect(matchesQuery('tl-cam-01', cam)).toBe(true);
    expect(matchesQuery('ap 5 camera', cam)).toBe(true);
    expect(matchesQuery('camera ap 9', cam)).toBe(false);
  });

  it('does not match a word split across two fields', () => {
    expect(matchesQuery('laitl', cam)).toBe(false);
  });

  it('matches everything when the query is empty or blank', () => {
    expect(matchesQuery('', cam)).toBe(true);
    expect(matchesQuery('   ', [])).toBe(true);
  });

  it('ignores missing fields', () => {
    expect(queryMatcher('ta lai')(['Tà Lài', null, undefined])).toBe(true);
  });
});
