/**
 * Every page of the dashboard, once, in navigation order. main.ts routes with it and the header
 * draws its links from it; test/unit/dashboard/pages.test.ts checks that every page file is listed,
 * that ids and paths are unique, titles exist in vi and en, and roles are real roles.
 */
import type { Role } from '../types.ts';
import { account } from './account.ts';
import { alerts } from './alerts.ts';
import { audit } from './audit.ts';
import { broadcasts } from './broadcasts.ts';
import { camera } from './camera.ts';
import { cameraHealth } from './camera-health.ts';
import { cameras } from './cameras.ts';
import { device } from './device.ts';
import { farms } from './farms.ts';
import { ingest } from './ingest.ts';
import { kpis } from './kpis.ts';
import { maintenance } from './maintenance.ts';
import { map } from './map.ts';
import { outages } from './outages.ts';
import { overview } from './overview.ts';
import { users } from './users.ts';

export const PAGES = [
  overview,
  map,
  cameras,
  outages,
  alerts,
  kpis,
  ingest,
  device,
  camera,
  broadcasts,
  farms,
  maintenance,
  cameraHealth,
  users,
  audit,
  account,
] as const;

export type PageId = (typeof PAGES)[number]['id'];

/** Pages with a link in the top navigation for this role, in order. */
export function navPages(role: Role): (typeof PAGES)[number][] {
  return PAGES.filter((p) => p.navKey !== undefined && p.roles.includes(role));
}
