/**
 * Which pages each role's navigation shows. The API enforces access (403) whatever this says;
 * this only keeps people from links that would fail. Device types per role come from the API
 * (GET /api/devices lists only what the role may see: cameras for the police alone).
 */
import type { Role } from './types.ts';

export type PageId = 'overview' | 'map' | 'device' | 'ingest';

const PAGES: Record<Role, readonly PageId[]> = {
  police: ['overview', 'map', 'device'],
  economics: ['overview', 'map', 'device'],
  technician: ['overview', 'map', 'device', 'ingest'],
  leader: ['overview', 'device'],
  admin: ['overview', 'device', 'ingest'],
  // Sở / IOC tỉnh: the rollup of every commune and their non-camera devices; no map (one commune's), no operations.
  province: ['overview', 'device'],
};

export function canOpen(role: Role, page: PageId): boolean {
  return PAGES[role]?.includes(page) ?? false;
}

/** Pages that get a link in the top navigation, in order. */
export function navPages(role: Role): PageId[] {
  return (['overview', 'map', 'ingest'] as const).filter((p) => canOpen(role, p));
}
