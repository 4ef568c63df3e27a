import { z } from 'zod';
import { TileCache } from '../../map/tile-cache.ts';
import type { ApiDeps } from '../deps.ts';
import { route } from '../route.ts';

// A fully transparent 1×1 PNG: what a tile the service cannot get now looks like, so the
// outlines drawn under the base layer show through instead of a broken-image box.
const BLANK_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

const caches = new WeakMap<ApiDeps['config'], TileCache>();

/** One cache per running service (its config), made on first use. */
function tilesOf(deps: ApiDeps): TileCache {
  let c = caches.get(deps.config);
  if (!c) {
    const m = deps.config.service.map;
    c = new TileCache({
      urlTemplate: m.tileUrl,
      dir: `${deps.config.paths.dataDir}/tiles`,
      maxAgeMs: m.tileCacheDays * 86_400_000,
      log: deps.log.child({ mod: 'map.tiles' }),
      clock: deps.clock,
    });
    caches.set(deps.config, c);
  }
  return c;
}

export const mapRoutes = [
  route({
    method: 'get',
    path: '/api/map/base',
    access: 'signed-in',
    tag: 'overview',
    summary:
      'Whether the map can show a base layer: the tile server answers the service, or its tile cache holds tiles from before; and the attribution to show.',
    response: z.object({
      tiles: z.boolean(),
      reachable: z.boolean(),
      attribution: z.string(),
      maxZoom: z.number(),
    }),
    async handle({ deps }) {
      const tiles = tilesOf(deps);
      const { reachable, cached } = await tiles.available();
      const m = deps.config.service.map;
      return { tiles: reachable || cached, reachable, attribution: m.attribution, maxZoom: m.maxZoom };
    },
  }),
  route({
    method: 'get',
    path: '/api/map/tiles/:z/:x/:y.png',
    access: 'signed-in',
    tag: 'overview',
    summary:
      "One base-map tile through the service's cache (data folder, kept across restarts); a transparent tile when neither the cache nor the tile server has it now.",
    examples: { params: () => ({ z: '0', x: '0', y: '0' }) },
    async handle({ deps, params, res }) {
      const t = { z: Number(params.z), x: Number(params.x), y: Number(params.y) };
      const png = TileCache.valid(t) ? await tilesOf(deps).get(t) : null;
      res.type('image/png');
      // A blank stands in for now only: the browser asks again on the next visit.
      res.set('cache-control', png ? 'private, max-age=86400' : 'no-store');
      res.send(png ?? BLANK_PNG);
      return res;
    },
  }),
];
