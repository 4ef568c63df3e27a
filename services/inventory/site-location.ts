import type { CommuneFile, SiteConfig } from '../../config/schema/commune.ts';
import { deviceTypes } from '../device-types/registry.ts';

/**
 * Sites that are public addresses: everyone knows where the UBND or a school is, so giving its
 * position says nothing about where a camera on it points from. A key point (a crossroads, a
 * ferry landing, a quarry track) is chosen for its camera, so its position is the camera's.
 */
const PUBLIC_BUILDINGS: ReadonlySet<SiteConfig['kind']> = new Set([
  'ubnd',
  'cultural-house',
  'school',
  'health-station',
]);

/**
 * Sites whose position is the police's to know (issue #12): a key point is chosen to be watched (a
 * crossroads, a ferry landing, a quarry track) and a police post is where the watching is done.
 * Whoever may not see cameras gets their hamlet's centre, whatever devices are there.
 */
const POLICE_ONLY_PLACES: ReadonlySet<SiteConfig['kind']> = new Set(['key-point', 'police-post']);

export interface SitePlace {
  readonly lat: number;
  readonly lon: number;
  /** True when the position is the hamlet's (or commune's) centre, not the site's own. */
  readonly approximate: boolean;
}

/** Whether the site holds a device of a sensitive type (a camera) that this viewer may not see. */
export function hidesSensitive(
  commune: CommuneFile,
  siteId: string,
  sees: (kind: string) => boolean,
): boolean {
  return commune.devices.some(
    (d) => d.site === siteId && deviceTypes.get(d.type)?.sensitive === true && !sees(d.type),
  );
}

/**
 * Where a viewer may be told a site is. Never a camera's position to someone who may not see
 * cameras (issue #17): a site other than a public building that holds a camera they cannot see
 * is placed at its hamlet's centre instead, marked approximate; so are every key point and police
 * post for them (issue #12), with or without a camera yet.
 */
export function siteLocationFor(
  commune: CommuneFile,
  site: SiteConfig,
  sees: (kind: string) => boolean,
): SitePlace {
  const policeOnly = POLICE_ONLY_PLACES.has(site.kind) && !sees('camera');
  if (!policeOnly && (PUBLIC_BUILDINGS.has(site.kind) || !hidesSensitive(commune, site.id, sees)))
    return { ...site.location, approximate: false };
  const hamlet = commune.hamlets.find((h) => h.id === site.hamlet);
  const at = hamlet?.center ?? ringCentre(hamlet?.boundary?.coordinates[0]) ?? commune.commune.center;
  return { lat: at.lat, lon: at.lon, approximate: true };
}

/** The mean of a ring's corners (the closing repeat left out): inside any rough, convex outline. */
function ringCentre(ring: readonly (readonly [number, number])[] | undefined) {
  if (!ring || ring.length < 4) return undefined;
  const pts = ring.slice(0, -1);
  return {
    lon: pts.reduce((a, p) => a + p[0], 0) / pts.length,
    lat: pts.reduce((a, p) => a + p[1], 0) / pts.length,
  };
}
