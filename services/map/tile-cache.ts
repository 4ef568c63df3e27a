import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../shared/logger.ts';

/** A slippy-map tile address (OSM scheme: z 0–19, x and y 0 … 2^z − 1). */
export interface TileAddress {
  readonly z: number;
  readonly x: number;
  readonly y: number;
}

export interface TileCacheOptions {
  /** Upstream template with {z}, {x}, {y} (and optionally {s}); null: no base layer at all. */
  readonly urlTemplate: string | null;
  /** Folder of the cache (`<dataDir>/tiles`): kept across restarts, so a map seen once works offline. */
  readonly dir: string;
  /** A cached tile older than this is fetched again when the upstream answers; else it is kept. */
  readonly maxAgeMs: number;
  readonly log: Logger;
  readonly clock?: () => number;
  /** One upstream request may take this long. */
  readonly fetchTimeoutMs?: number;
}

// After a failed upstream request, ask again only this much later: an offline commune office must
// not wait for a timeout on each of the dozens of tiles a map view asks for.
const RETRY_AFTER_MS = 30_000;
// The OpenStreetMap tile usage policy allows at most 2 download connections per client.
const MAX_PARALLEL = 2;
const USER_AGENT = 'CanhXa/1.0 (commune infrastructure monitoring; caching tile proxy)';

/**
 * The service's caching tile proxy: the browser asks the service, never the internet (a commune
 * office may have none, and the tile server sees one client with a cache instead of every browser).
 * Tiles are files `<dir>/<z>/<x>/<y>.png`, written whole (temp file, then rename).
 */
export class TileCache {
  private readonly opts: TileCacheOptions;
  private readonly clock: () => number;
  private readonly inFlight = new Map<string, Promise<Buffer | null>>();
  private downUntilTs = 0;
  private lastOkTs = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(opts: TileCacheOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? Date.now;
  }

  get configured(): boolean {
    return this.opts.urlTemplate !== null;
  }

  static valid({ z, x, y }: TileAddress): boolean {
    const n = 2 ** z;
    return [z, x, y].every(Number.isInteger) && z >= 0 && z <= 19 && x >= 0 && x < n && y >= 0 && y < n;
  }

  /** The tile from the cache or the upstream; null when neither has it now. */
  async get(t: TileAddress): Promise<Buffer | null> {
    if (!this.configured || !TileCache.valid(t)) return null;
    const file = this.file(t);
    const cached = this.read(file);
    if (cached && this.clock() - cached.mtimeMs < this.opts.maxAgeMs) return cached.png;
    const key = `${t.z}/${t.x}/${t.y}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchTile(t).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    // A stale tile is better than none when the upstream cannot be reached.
    return (await pending) ?? cached?.png ?? null;
  }

  /**
   * Whether a base layer can be shown: the upstream answered lately (asked now with the world tile
   * if not), or the cache holds tiles from before.
   */
  async available(): Promise<{ reachable: boolean; cached: boolean }> {
    if (!this.configured) return { reachable: false, cached: false };
    const cached = this.hasCache();
    if (this.clock() - this.lastOkTs < 60_000) return { reachable: true, cached };
    const world = await this.fetchTile({ z: 0, x: 0, y: 0 });
    return { reachable: world !== null, cached: cached || world !== null };
  }

  private async fetchTile(t: TileAddress): Promise<Buffer | null> {
    if (this.clock() < this.downUntilTs) return null;
    await this.slot();
    try {
      if (this.clock() < this.downUntilTs) return null;
      const url = this.opts
        .urlTemplate!.replaceAll('{z}', String(t.z))
        .replaceAll('{x}', String(t.x))
        .replaceAll('{y}', String(t.y))
        .replaceAll('{s}', 'abc'[(t.x + t.y) % 3]!);
      const res = await fetch(url, {
        headers: { 'user-agent': USER_AGENT },
        signal: AbortSignal.timeout(this.opts.fetchTimeoutMs ?? 5000),
      });
      if (!res.ok) {
        // A 404 for one tile says the server is there: only that tile is missing.
        this.opts.log.debug({ status: res.status, tile: t }, 'tile server refused a tile');
        return null;
      }
      const png = Buffer.from(await res.arrayBuffer());
      this.lastOkTs = this.clock();
      this.write(this.file(t), png);
      return png;
    } catch (err) {
      this.downUntilTs = this.clock() + RETRY_AFTER_MS;
      this.opts.log.warn({ err }, 'tile server unreachable; map shows cached tiles and outlines');
      return null;
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private slot(): Promise<void> {
    if (this.running < MAX_PARALLEL) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  private file({ z, x, y }: TileAddress): string {
    return join(this.opts.dir, String(z), String(x), `${y}.png`);
  }

  private read(file: string): { png: Buffer; mtimeMs: number } | null {
    try {
      return { mtimeMs: statSync(file).mtimeMs, png: readFileSync(file) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private write(file: string, png: Buffer): void {
    try {
      mkdirSync(dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, png);
      renameSync(tmp, file);
    } catch (err) {
      // Served anyway; only the offline copy is missing.
      this.opts.log.warn({ err, file }, 'tile not cached');
    }
  }

  private hasCache(): boolean {
    return existsSync(this.opts.dir) && readdirSync(this.opts.dir).length > 0;
  }
}
