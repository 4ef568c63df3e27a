/**
 * Every page of the dashboard, once, in navigation order. main.ts routes with it and the header
 * draws its links from it; test/unit/dashboard/pages.test.ts checks that every page file is listed,
 * that ids and paths are unique, titles exist in vi and en, and roles are real roles.
 */
import type { Role } from '../types.ts';
import { alerts } from './alerts.ts';
import { broadcasts } from './broadcasts.ts';
import { device } from './device.ts';
import { ingest } from './ingest.ts';
import { map } from './map.ts';
import { outages } from './outages.ts';
import { overview } from './overview.ts';

export const PAGES = [overview, map, outages, ingest, device, broadcasts, alerts] as const;

export type PageId = (typeof PAGES)[number]['id'];

/** Pages with a link in the top navigation for this role, in order. */
export function navPages(role: Role): (typeof PAGES)[number][] {
  return PAGES.filter((p) => p.navKey !== undefined && p.roles.includes(role));
}
