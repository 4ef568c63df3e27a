/**
 * Hash routes from the page registry's path patterns (#/, #/map, #/devices/:id), plus #/login.
 * The table is handed in at boot (`useRoutes`) rather than imported: pages import `href`, and the
 * registry imports the pages, so an import here would be a cycle.
 */
import type { PageEntry } from './pages/page.ts';
import type { PageId } from './pages/registry.ts';

export type Route =
  | { page: PageEntry; params: Record<string, string> }
  | { page: 'login' | 'not-found'; params: Record<string, string> };

let table: readonly PageEntry[] = [];

export function useRoutes(pages: readonly PageEntry[]): void {
  table = pages;
}

function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, seg] of want.entries()) {
    const value = got[i] ?? '';
    if (seg.startsWith(':')) {
      if (!value) return null;
      params[seg.slice(1)] = decodeURIComponent(value);
    } else if (seg !== value) return null;
  }
  return params;
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').split('?')[0] || '/';
  if (path === '/login') return { page: 'login', params: {} };
  for (const page of table) {
    const params = match(page.path, path);
    if (params) return { page, params };
  }
  return { page: 'not-found', params: {} };
}

/** The link to a page; `id` fills the pattern's `:id` (the one parameter any page has today). */
export function href(page: PageId, id?: string): string {
  const entry = table.find((p) => p.id === page);
  if (!entry) throw new Error(`href: no page "${page}" in the registry`);
  return `#${entry.path.replace(/:[a-zA-Z]+/g, () => encodeURIComponent(id ?? ''))}`;
}

export function go(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
