/**
 * GPS positions as people read them. "11,3981, 107,3917" is ambiguous with decimal commas (issue
 * #17), so each number carries its degree sign and hemisphere: "11,3981° B, 107,3917° Đ" in
 * Vietnamese (Bắc/Nam, Đông/Tây), "11.3981° N, 107.3917° E" in English. Four decimals are ~11 m.
 */
import { getLocale, t } from '../i18n.ts';
import type { GeoPoint } from '../types.ts';
import { h } from './dom.ts';

const HEMI = {
  vi: { n: 'B', s: 'N', e: 'Đ', w: 'T' },
  en: { n: 'N', s: 'S', e: 'E', w: 'W' },
} as const;

export function formatCoords({ lat, lon }: GeoPoint, locale = getLocale()): string {
  const f = new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', {
    minimumFractionDigits: 4,
    maximumFractionDigits: 4,
  });
  const hemi = HEMI[locale];
  return `${f.format(Math.abs(lat))}° ${lat < 0 ? hemi.s : hemi.n}, ${f.format(Math.abs(lon))}° ${lon < 0 ? hemi.w : hemi.e}`;
}

/** The position with a link that opens it on OpenStreetMap (a new tab; the reader's own internet). */
export function coordsWithLink(at: GeoPoint): HTMLElement {
  const url = `https://www.openstreetmap.org/?mlat=${at.lat}&mlon=${at.lon}#map=17/${at.lat}/${at.lon}`;
  return h(
    'span',
    { class: 'coords' },
    h('span', { 'data-coords': '' }, formatCoords(at)),
    ' ',
    h(
      'a',
      { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'map-link' },
      t('device.openMap'),
    ),
  );
}
