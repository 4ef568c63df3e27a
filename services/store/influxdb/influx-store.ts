/**
 * Readings in InfluxDB, spoken over the v1 HTTP API on purpose: `/write` and `/query` (InfluxQL)
 * exist on 1.x natively, on 2.x through its v1 compatibility layer (needs a DBRP mapping for
 * `database`) and on 3.x, so one code path serves every version, including Debian's 1.6.7, which
 * has no `/api/v2/write`. The client library's WriteApi buffers and retries behind our back and
 * speaks only v2; we use its `Point` for the line protocol and do the HTTP ourselves, so a batch
 * either gets a 204 or the caller gets a StoreError and keeps it.
 *
 * Model: one measurement `reading`, tags commune/device/metric, one float field `value`, ms
 * timestamps. A (commune, device, metric, ts) key is one series + timestamp, and InfluxDB
 * overwrites the same series + timestamp, so replaying a batch is idempotent.
 * https://docs.influxdata.com/influxdb/v1/troubleshooting/frequently-asked-questions/#how-does-influxdb-handle-duplicate-points
 *
 * Rollups are measurements `reading_1m` / `reading_1h` (same tags, fields min/max/mean/count),
 * written by the server itself with `SELECT … INTO`, and pruning is InfluxQL `DELETE`. Both exist
 * on 1.x only (the 2.x v1 compatibility API answers SELECT and SHOW alone), so there rollup and
 * prune reject with a StoreError saying so; 2.x buckets have their own retention period.
 *
 * Over 300 lines because it is the one HTTP client behind every Store member; the pure parts
 * (InfluxQL text, answers, points) are in influxql.ts and points.ts.
 */
import { StoreError } from '../../shared/errors.ts';
import { type Logger, rootLogger } from '../../shared/logger.ts';
import {
  type PrunePolicy,
  type RangeQuery,
  type Reading,
  type RollupResolution,
  type RollupRow,
  type Store,
  wholeBuckets,
} from '../store.ts';
import {
  deleteBefore,
  ident,
  parseAnswer,
  rollupInto,
  type Series,
  timeRange,
  whereClause,
} from './influxql.ts';
import { byKey, cmp, MEASUREMENT, type Row, tagFilter, toLine, toReading, toRollupRow } from './points.ts';

export interface InfluxStoreConfig {
  readonly url: string;
  /** v1 database (1.x), or the bucket's DBRP-mapped database name (2.x/3.x). */
  readonly database: string;
  /** "user:password" for 1.x with auth (HTTP Basic), else an API token (2.x/3.x). */
  readonly token?: string;
  /** Accepted for config symmetry; the v1 endpoints find the bucket through the DBRP mapping. */
  readonly org?: string;
}

export interface InfluxStoreOptions {
  /** Per HTTP request, headers and body included. A stalled server must not hang ingest. */
  readonly timeoutMs?: number;
  /** For rollup and prune, which may scan a day of points or more on the server. */
  readonly maintenanceTimeoutMs?: number;
  /** Lines per POST; InfluxDB's default max-body-size is 25 MB. */
  readonly maxLinesPerRequest?: number;
  readonly log?: Logger;
}

const ROLLUPS: Readonly<Record<RollupResolution, string>> = {
  '1m': `${MEASUREMENT}_1m`,
  '1h': `${MEASUREMENT}_1h`,
};
const DEFAULT_LIMIT = 10_000;
const BODY_IN_MESSAGE = 500;

export class InfluxStore implements Store {
  readonly kind = 'influxdb';
  private readonly config: InfluxStoreConfig;
  private readonly timeoutMs: number;
  private readonly maintenanceTimeoutMs: number;
  private readonly maxLines: number;
  private readonly log: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;
  /** The server's X-Influxdb-Version, known after start(). */
  private version = '';

  constructor(config: InfluxStoreConfig, opts: InfluxStoreOptions = {}) {
    this.config = config;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maintenanceTimeoutMs = opts.maintenanceTimeoutMs ?? 600_000;
    this.maxLines = opts.maxLinesPerRequest ?? 5_000;
    this.log = (opts.log ?? rootLogger).child({ mod: 'store.influxdb' });
  }

  async start(): Promise<void> {
    this.assertOpen('start');
    const ping = await this.send('ping', '/ping', { method: 'GET' });
    const version = ping.headers.get('x-influxdb-version') ?? '';
    this.version = version;
    try {
      await this.influxql(`CREATE DATABASE ${ident(this.config.database)}`, 'create database');
    } catch (err) {
      // 2.x and 3.x refuse CREATE DATABASE on the v1 API: buckets and DBRP mappings are made there.
      // On 1.x a non-admin user may not create it either; the first write tells if it is missing.
      const forbidden = err instanceof StoreError && /authoriz|privilege/i.test(err.message);
      if (version.startsWith('1.') && !forbidden) throw err;
      this.log.debug({ err, version }, 'create database not done');
    }
    this.log.info({ version, database: this.config.database }, 'influxdb store started');
  }

  async write(readings: readonly Reading[]): Promise<void> {
    this.assertOpen('write');
    if (readings.length === 0) return;
    const what = `write batch of ${readings.length}`;
    const lines = readings.map((r, i) => toLine(r, i, what));
    await this.track(async () => {
      for (let i = 0; i < lines.length; i += this.maxLines) {
        const body = lines.slice(i, i + this.maxLines).join('\n');
        await this.send(what, `/write?${this.params({ precision: 'ms' })}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
      }
    });
  }

  async query(range: RangeQuery): Promise<Reading[]> {
    this.assertOpen('query');
    const select = `SELECT "value", "commune", "device", "metric" FROM ${ident(MEASUREMENT)}`;
    return this.ordered(select, range, toReading);
  }

  async latest(filter: { communeId?: string; deviceId?: string }): Promise<Reading[]> {
    this.assertOpen('latest');
    const series = await this.influxql(
      `SELECT last("value") FROM ${ident(MEASUREMENT)}${whereClause(tagFilter(filter))} GROUP BY "commune", "device", "metric"`,
      'latest',
    );
    return series
      .map((s) => {
        const [time, value] = s.values?.[0] ?? [];
        const point: Record<string, unknown> = { ...s.tags, time, value };
        return toReading((column) => point[column]);
      })
      .sort(
        (a, b) => cmp(a.deviceId, b.deviceId) || cmp(a.metric, b.metric) || cmp(a.communeId, b.communeId),
      );
  }

  async rollup(fromTs: number, toTs: number): Promise<void> {
    this.assertOpen('rollup');
    for (const res of ['1m', '1h'] as const) {
      const b = wholeBuckets(fromTs, toTs, res);
      if (b.fromTs >= b.toTs) continue;
      this.assertV1(`rollup ${res}`);
      const what = `rollup ${res} [${b.fromTs}, ${b.toTs})`;
      const [written] = await this.influxql(
        rollupInto(MEASUREMENT, ROLLUPS[res], res, b.fromTs, b.toTs),
        what,
        this.maintenanceTimeoutMs,
      );
      this.log.debug(
        { resolution: res, fromTs: b.fromTs, toTs: b.toTs, written: written?.values?.[0]?.[1] },
        'rolled up',
      );
    }
  }

  async queryRollup(range: RangeQuery & { readonly resolution: RollupResolution }): Promise<RollupRow[]> {
    this.assertOpen('queryRollup');
    const measurement = ROLLUPS[range.resolution];
    if (measurement === undefined) throw new StoreError(`queryRollup: no resolution "${range.resolution}"`);
    const select = `SELECT "min", "max", "mean", "count", "commune", "device", "metric" FROM ${ident(measurement)}`;
    return this.ordered(select, range, toRollupRow);
  }

  /** Resolves with nothing: InfluxQL DELETE does not say how many points it removed. */
  async prune(policy: PrunePolicy): Promise<undefined> {
    this.assertOpen('prune');
    this.assertV1('prune');
    const steps: [string, number][] = [
      [MEASUREMENT, policy.rawBeforeTs],
      [ROLLUPS['1m'], policy.minuteBeforeTs],
      [ROLLUPS['1h'], policy.hourBeforeTs],
    ];
    for (const [measurement, beforeTs] of steps) {
      const what = `prune ${measurement} of commune ${policy.communeId}`;
      await this.influxql(
        deleteBefore(measurement, policy.communeId, beforeTs),
        what,
        this.maintenanceTimeoutMs,
      );
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new StoreError(`${what} after close`);
  }

  private assertV1(what: string): void {
    // Before start() the version is unknown; let the server answer for itself.
    if (this.version === '' || /^v?1\./.test(this.version)) return;
    throw new StoreError(
      `${what}: needs InfluxDB 1.x (server is ${this.version}); InfluxQL INTO and DELETE are not on the v1 compatibility API. Set the bucket's retention period instead`,
    );
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    const p = fn();
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  private params(extra: Record<string, string>): string {
    return new URLSearchParams({ db: this.config.database, ...extra }).toString();
  }

  /**
   * Rows of `select` in the range, in Store order, at most `range.limit`. InfluxDB orders by time
   * only; rows sharing the last timestamp may have been cut in the wrong place, so all of them are
   * fetched and cut in our order.
   */
  private async ordered<T extends Omit<Reading, 'value'>>(
    select: string,
    range: RangeQuery,
    toRow: (row: Row) => T,
  ): Promise<T[]> {
    const limit = Math.floor(range.limit ?? DEFAULT_LIMIT);
    if (limit <= 0 || !(range.fromTs < range.toTs)) return [];
    const where = (from: number, to: number): string =>
      whereClause([...tagFilter(range), ...timeRange(from, to)]);
    const rows = await this.rows(`${select}${where(range.fromTs, range.toTs)} LIMIT ${limit}`, toRow);
    const last = rows.at(-1);
    if (rows.length < limit || last === undefined) return rows.sort(byKey);
    const ties = await this.rows(`${select}${where(last.ts, last.ts + 1)}`, toRow);
    return [...rows.filter((r) => r.ts < last.ts), ...ties].sort(byKey).slice(0, limit);
  }

  private async rows<T>(q: string, toRow: (row: Row) => T): Promise<T[]> {
    const [series] = await this.influxql(q, 'query');
    if (series === undefined) return [];
    const index = new Map(series.columns.map((c, i) => [c, i]));
    return (series.values ?? []).map((values) => toRow((column) => values[index.get(column) ?? -1]));
  }

  /** Runs one InfluxQL statement (POST, so long queries fit) and returns its series. */
  private async influxql(q: string, what: string, timeoutMs = this.timeoutMs): Promise<Series[]> {
    const params = this.params({ epoch: 'ms', chunked: 'true', chunk_size: '10000' });
    const res = await this.track(() =>
      this.send(what, `/query?${params}`, { method: 'POST', body: new URLSearchParams({ q }) }, timeoutMs),
    );
    let answer: ReturnType<typeof parseAnswer>;
    try {
      answer = parseAnswer(res.text);
    } catch (cause) {
      throw new StoreError(`${what}: answer is not JSON: ${res.text.slice(0, BODY_IN_MESSAGE)}`, { cause });
    }
    // A bad statement is a 200 with `results[0].error` on 1.x; other failures are 4xx, caught in send().
    if ('error' in answer) {
      throw new StoreError(`${what}: ${answer.error}`, {
        upstreamStatus: res.status,
        upstreamBody: res.text,
      });
    }
    return answer.series;
  }

  /** One HTTP exchange; anything but a 2xx answer read in full within the timeout is a StoreError. */
  private async send(
    what: string,
    path: string,
    init: { method: string; body?: string | URLSearchParams; headers?: Record<string, string> },
    timeoutMs = this.timeoutMs,
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const url = `${this.config.url.replace(/\/+$/, '')}${path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        ...init,
        headers: { ...init.headers, ...authHeader(this.config.token) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (cause) {
      throw new StoreError(`${what}: no answer from ${this.config.url}: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (res.status < 200 || res.status > 299) {
      throw new StoreError(`${what}: HTTP ${res.status} ${text.slice(0, BODY_IN_MESSAGE)}`, {
        upstreamStatus: res.status,
        upstreamBody: text,
      });
    }
    return { status: res.status, text, headers: res.headers };
  }
}

function authHeader(token: string | undefined): Record<string, string> {
  if (!token) return {};
  // 1.x users authenticate with Basic; 2.x/3.x API tokens never contain ':'.
  if (token.includes(':')) return { authorization: `Basic ${Buffer.from(token).toString('base64')}` };
  return { authorization: `Token ${token}` };
}
