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
 */
import { Point } from '@influxdata/influxdb-client';
import { StoreError } from '../../shared/errors.ts';
import { type Logger, rootLogger } from '../../shared/logger.ts';
import type { RangeQuery, Reading, Store } from '../store.ts';
import {
  ident,
  literal,
  MAX_NS,
  MIN_NS,
  parseAnswer,
  type Series,
  timeRange,
  whereClause,
} from './influxql.ts';

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
  /** Lines per POST; InfluxDB's default max-body-size is 25 MB. */
  readonly maxLinesPerRequest?: number;
  readonly log?: Logger;
}

const MEASUREMENT = 'reading';
const DEFAULT_LIMIT = 10_000;
const BODY_IN_MESSAGE = 500;

export class InfluxStore implements Store {
  readonly kind = 'influxdb';
  private readonly config: InfluxStoreConfig;
  private readonly timeoutMs: number;
  private readonly maxLines: number;
  private readonly log: Logger;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(config: InfluxStoreConfig, opts: InfluxStoreOptions = {}) {
    this.config = config;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxLines = opts.maxLinesPerRequest ?? 5_000;
    this.log = (opts.log ?? rootLogger).child({ mod: 'store.influxdb' });
  }

  async start(): Promise<void> {
    this.assertOpen('start');
    const ping = await this.send('ping', '/ping', { method: 'GET' });
    const version = ping.headers.get('x-influxdb-version') ?? '';
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
    const limit = Math.floor(range.limit ?? DEFAULT_LIMIT);
    if (limit <= 0 || !(range.fromTs < range.toTs)) return [];
    const select = `SELECT "value", "commune", "device", "metric" FROM ${ident(MEASUREMENT)}`;
    const where = (from: number, to: number): string =>
      whereClause([...tagFilter(range), ...timeRange(from, to)]);
    const rows = await this.rawRows(`${select}${where(range.fromTs, range.toTs)} LIMIT ${limit}`);
    const last = rows.at(-1);
    if (rows.length < limit || last === undefined) return rows.sort(byKey);
    // InfluxDB orders by time only; readings sharing the last timestamp may have been cut in the
    // wrong place, so fetch all of them and cut in our order.
    const ties = await this.rawRows(`${select}${where(last.ts, last.ts + 1)}`);
    return [...rows.filter((r) => r.ts < last.ts), ...ties].sort(byKey).slice(0, limit);
  }

  async latest(filter: { communeId?: string; deviceId?: string }): Promise<Reading[]> {
    this.assertOpen('latest');
    const series = await this.influxql(
      `SELECT last("value") FROM ${ident(MEASUREMENT)}${whereClause(tagFilter(filter))} GROUP BY "commune", "device", "metric"`,
      'latest',
    );
    return series
      .map((s) => {
        const [ts, value] = s.values?.[0] ?? [];
        return reading(s.tags?.commune, s.tags?.device, s.tags?.metric, ts, value);
      })
      .sort(
        (a, b) => cmp(a.deviceId, b.deviceId) || cmp(a.metric, b.metric) || cmp(a.communeId, b.communeId),
      );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private assertOpen(what: string): void {
    if (this.closed) throw new StoreError(`${what} after close`);
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

  private async rawRows(q: string): Promise<Reading[]> {
    const [series] = await this.influxql(q, 'query');
    if (series === undefined) return [];
    const at = (name: string): number => series.columns.indexOf(name);
    const [t, v, c, d, m] = [at('time'), at('value'), at('commune'), at('device'), at('metric')];
    return (series.values ?? []).map((row) => reading(row[c], row[d], row[m], row[t], row[v]));
  }

  /** Runs one InfluxQL statement (POST, so long queries fit) and returns its series. */
  private async influxql(q: string, what: string): Promise<Series[]> {
    const params = this.params({ epoch: 'ms', chunked: 'true', chunk_size: '10000' });
    const res = await this.track(() =>
      this.send(what, `/query?${params}`, { method: 'POST', body: new URLSearchParams({ q }) }),
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
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const url = `${this.config.url.replace(/\/+$/, '')}${path}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        ...init,
        headers: { ...init.headers, ...authHeader(this.config.token) },
        signal: AbortSignal.timeout(this.timeoutMs),
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

/** The line for one reading, or a StoreError naming what cannot be stored, before anything is sent. */
function toLine(r: Reading, i: number, what: string): string {
  const bad = (why: string): StoreError =>
    new StoreError(`${what}: reading[${i}] ${why}; nothing was written`);
  for (const [tag, v] of [
    ['communeId', r.communeId],
    ['deviceId', r.deviceId],
    ['metric', r.metric],
  ] as const) {
    // Line protocol drops empty tags and has no escape for control characters or a final backslash.
    // https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/#special-characters
    if (typeof v !== 'string' || v === '') throw bad(`${tag} is empty`);
    if (/\p{Cc}/u.test(v)) throw bad(`${tag} ${JSON.stringify(v)} contains a control character`);
    if (v.endsWith('\\')) throw bad(`${tag} ${JSON.stringify(v)} ends with a backslash`);
  }
  if (
    !Number.isSafeInteger(r.ts) ||
    BigInt(r.ts) * 1_000_000n > MAX_NS ||
    BigInt(r.ts) * 1_000_000n < MIN_NS
  ) {
    throw bad(`ts ${r.ts} is not an integer epoch ms between 1677 and 2262`);
  }
  if (!Number.isFinite(r.value)) throw bad(`value ${r.value} is not a finite number`);
  const line = new Point(MEASUREMENT)
    .tag('commune', r.communeId)
    .tag('device', r.deviceId)
    .tag('metric', r.metric)
    .floatField('value', r.value)
    .timestamp(r.ts)
    .toLineProtocol();
  if (line === undefined) throw bad('produced no line');
  return line;
}

function reading(
  communeId: unknown,
  deviceId: unknown,
  metric: unknown,
  ts: unknown,
  value: unknown,
): Reading {
  if (
    typeof communeId !== 'string' ||
    typeof deviceId !== 'string' ||
    typeof metric !== 'string' ||
    typeof ts !== 'number' ||
    typeof value !== 'number'
  ) {
    // Someone else's points in our measurement: refuse loudly rather than hand back half a reading.
    throw new StoreError(
      `query: malformed point ${JSON.stringify([communeId, deviceId, metric, ts, value])}`,
    );
  }
  return { communeId, deviceId, metric, ts, value };
}

function tagFilter(f: { communeId?: string; deviceId?: string; metric?: string }): string[] {
  const where: string[] = [];
  if (f.communeId !== undefined) where.push(`"commune" = ${literal(f.communeId)}`);
  if (f.deviceId !== undefined) where.push(`"device" = ${literal(f.deviceId)}`);
  if (f.metric !== undefined) where.push(`"metric" = ${literal(f.metric)}`);
  return where;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey(a: Reading, b: Reading): number {
  return (
    a.ts - b.ts || cmp(a.deviceId, b.deviceId) || cmp(a.metric, b.metric) || cmp(a.communeId, b.communeId)
  );
}
