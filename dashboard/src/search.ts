/**
 * Search that ignores Vietnamese diacritics and case: "ta lai" finds "Tà Lài", "nha van hoa" finds
 * "Nhà văn hóa". People type on phones without the Telex/VNI keyboard, so accents must not matter.
 */

const COMBINING_MARKS = /[\u0300-\u036f]/g;

/** NFD, drop combining marks, đ→d, lower-case, collapse spaces. */
export function normalizeText(s: string): string {
  return s
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Builds a matcher for one query: each word must occur somewhere in the fields (any order); empty matches all. */
export function queryMatcher(query: string): (fields: readonly (string | null | undefined)[]) => boolean {
  const words = normalizeText(query).split(' ').filter(Boolean);
  if (words.length === 0) return () => true;
  return (fields) => {
    // The separator keeps a word from matching across two fields ("lai" + "ap" ≠ "laiap").
    const hay = normalizeText(fields.filter(Boolean).join(' | '));
    return words.every((w) => hay.includes(w));
  };
}

export function matchesQuery(query: string, fields: readonly (string | null | undefined)[]): boolean {
  return queryMatcher(query)(fields);
}
