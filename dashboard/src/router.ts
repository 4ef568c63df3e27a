/** Hash routes: #/ (overview), #/map, #/ingest, #/devices/:id, #/login. */
import type { PageId } from './roles.ts';

export interface Route {
  page: PageId | 'login' | 'not-found';
  id?: string;
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] || '/';
  if (path === '/' || path === '') return { page: 'overview' };
  if (path === '/map') return { page: 'map' };
  if (path === '/ingest') return { page: 'ingest' };
  if (path === '/login') return { page: 'login' };
  const m = /^\/devices\/([^/]+)$/.exec(path);
  if (m?.[1]) return { page: 'device', id: decodeURIComponent(m[1]) };
  return { page: 'not-found' };
}

export function href(page: PageId, id?: string): string {
  switch (page) {
    case 'overview':
      return '#/';
    case 'map':
      return '#/map';
    case 'ingest':
      return '#/ingest';
    case 'device':
      return `#/devices/${encodeURIComponent(id ?? '')}`;
  }
}

export function go(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
