import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ROLES } from '../../../config/schema/commune.ts';
import en from '../../../services/shared/i18n/en.json' with { type: 'json' };
import vi_ from '../../../services/shared/i18n/vi.json' with { type: 'json' };

// The pages import Leaflet and uPlot, which read the browser's window when loaded; the registry's
// facts need neither. i18n.ts reads document.documentElement and localStorage: plain objects.
vi.mock('leaflet', () => ({}));
vi.mock('uplot', () => ({ default: class {} }));
Object.assign(globalThis, {
  document: { documentElement: { lang: '' } },
  localStorage: { getItem: () => null, setItem: () => undefined },
});
const { PAGES, navPages } = await import('../../../dashboard/src/pages/registry.ts');
const { href, parseRoute, useRoutes } = await import('../../../dashboard/src/router.ts');

const PAGES_DIR = resolve(import.meta.dirname, '../../../dashboard/src/pages');
/** Files in pages/ that are not pages: the seam itself, and sign-in (shown to whoever is signed out). */
const NOT_PAGES = new Set(['page.ts', 'registry.ts', 'login.ts']);

describe('dashboard page registry', () => {
  it('lists every page file, each under its own name', () => {
    const files = readdirSync(PAGES_DIR).filter((f) => f.endsWith('.ts') && !NOT_PAGES.has(f));
    expect(PAGES.map((p) => `${p.id}.ts`).sort()).toEqual(files.sort());
  });

  it('has unique ids and paths', () => {
    expect(new Set(PAGES.map((p) => p.id)).size).toBe(PAGES.length);
    expect(new Set(PAGES.map((p) => p.path)).size).toBe(PAGES.length);
  });

  it('names title and navigation keys that exist in Vietnamese and English', () => {
    for (const p of PAGES) {
      for (const key of [p.titleKey, ...('navKey' in p && p.navKey ? [p.navKey] : [])]) {
        expect(vi_, `${p.id}: ${key}`).toHaveProperty([key]);
        expect(en, `${p.id}: ${key}`).toHaveProperty([key]);
      }
    }
  });

  it('gives each page at least one real role, and every role the overview', () => {
    for (const p of PAGES) {
      expect(p.roles.length, p.id).toBeGreaterThan(0);
      for (const r of p.roles) expect(ROLES, `${p.id}: ${r}`).toContain(r);
    }
    for (const r of ROLES) expect(navPages(r).map((p) => p.id)).toContain('overview');
  });

  it('keeps cameras and operations pages off the navigation of roles without them', () => {
    // The camera grid (imagery) is the police's alone.
    expect(navPages('police').map((p) => p.id)).toEqual([
      'overview',
      'map',
      'cameras',
      'alerts',
      'maintenance',
    ]);
    expect(navPages('technician').map((p) => p.id)).toEqual([
      'overview',
      'map',
      'outages',
      'alerts',
      'ingest',
      'broadcasts',
      'maintenance',
      // Camera health: the API serves it to the camera maintainers among them (403 for the others).
      'camera-health',
    ]);
    expect(navPages('admin').map((p) => p.id)).toEqual([
      'overview',
      'outages',
      'alerts',
      'kpis',
      'ingest',
      'broadcasts',
      'farms',
      'maintenance',
      'users',
      'audit',
    ]);
    // The farm pilot is the economics office's (and the admin's).
    expect(navPages('economics').map((p) => p.id)).toEqual([
      'overview',
      'map',
      'alerts',
      'farms',
      'maintenance',
    ]);
    // Leaders and the province get the map: communes, hamlets and sites, never a camera's position.
    expect(navPages('province').map((p) => p.id)).toEqual(['overview', 'map', 'broadcasts', 'camera-health']);
    expect(navPages('leader').map((p) => p.id)).toContain('map');
    // Bulletins go to the loudspeakers' audience only.
    expect(navPages('leader').map((p) => p.id)).toContain('broadcasts');
    // The KPIs against the plan's targets (Chỉ tiêu) are the leaders' and admins' alone.
    for (const role of ['leader', 'admin'] as const)
      expect(navPages(role).map((p) => p.id)).toContain('kpis');
    for (const role of ['police', 'economics', 'technician', 'province'] as const)
      expect(navPages(role).map((p) => p.id)).not.toContain('kpis');
    expect(navPages('economics').map((p) => p.id)).not.toContain('broadcasts');
    for (const role of ['technician', 'admin', 'province', 'leader', 'economics'] as const)
      expect(navPages(role).map((p) => p.id)).not.toContain('cameras');
  });

  it('routes each path pattern to its page and back', () => {
    useRoutes(PAGES);
    expect(href('overview')).toBe('#/');
    expect(href('device', 'tl cam/1')).toBe('#/devices/tl%20cam%2F1');
    const r = parseRoute('#/devices/tl%20cam%2F1');
    expect(r.page !== 'login' && r.page !== 'not-found' && r.page.id).toBe('device');
    expect(r.params).toEqual({ id: 'tl cam/1' });
    expect(parseRoute('#/map?x=1').page).toMatchObject({ id: 'map' });
    expect(parseRoute('#/login').page).toBe('login');
    expect(parseRoute('#/devices/').page).toBe('not-found');
    expect(parseRoute('#/nowhere').page).toBe('not-found');
  });
});
