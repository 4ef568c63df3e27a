/**
 * Points in and out of InfluxDB for influx-store.ts: the line for a reading, rows of an answer
 * turned back into readings and rollup rows, and our ordering. Pure functions, no I/O.
 */
import { Point } from '@influxdata/influxdb-client';
import { StoreError } from '../../shared/errors.ts';
import type { Reading, RollupRow } from '../store.ts';
import { literal, MAX_NS, MIN_NS } from './influxql.ts';

/** Raw readings; the rollups go to `${MEASUREMENT}_1m` and `${MEASUREMENT}_1h`. */
export const MEASUREMENT = 'reading';

/** The line for one reading, or a StoreError naming what cannot be stored, before anything is sent. */
export function toLine(r: Reading, i: number, what: string): string {
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

/** One row of an answer, by column name. */
export type Row = (column: string) => unknown;

/** Someone else's points in our measurement: refuse loudly rather than hand back half a row. */
function malformed(row: Row, columns: readonly string[]): StoreError {
  return new StoreError(`query: malformed point ${JSON.stringify(columns.map((c) => row(c)))}`);
}

function key(row: Row): Pick<Reading, 'communeId' | 'deviceId' | 'metric' | 'ts'> | undefined {
  const [communeId, deviceId, metric, ts] = [row('commune'), row('device'), row('metric'), row('time')];
  if (
    typeof communeId !== 'string' ||
    typeof deviceId !== 'string' ||
    typeof metric !== 'string' ||
    typeof ts !== 'number'
  ) {
    return undefined;
  }
  return { communeId, deviceId, metric, ts };
}

export function toReading(row: Row): Reading {
  const k = key(row);
  const value = row('value');
  if (k === undefined || typeof value !== 'number') {
    throw malformed(row, ['commune', 'device', 'metric', 'time', 'value']);
  }
  return { ...k, value };
}

export function toRollupRow(row: Row): RollupRow {
  const k = key(row);
  const [min, max, mean, count] = [row('min'), row('max'), row('mean'), row('count')];
  if (
    k === undefined ||
    typeof min !== 'number' ||
    typeof max !== 'number' ||
    typeof mean !== 'number' ||
    typeof count !== 'number'
  ) {
    throw malformed(row, ['commune', 'device', 'metric', 'time', 'min', 'max', 'mean', 'count']);
  }
  return { ...k, min, max, mean, count };
}

export function tagFilter(f: { communeId?: string; deviceId?: string; metric?: string }): string[] {
  const where: string[] = [];
  if (f.communeId !== undefined) where.push(`"commune" = ${literal(f.communeId)}`);
  if (f.deviceId !== undefined) where.push(`"device" = ${literal(f.deviceId)}`);
  if (f.metric !== undefined) where.push(`"metric" = ${literal(f.metric)}`);
  return where;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The Store order: ts, then deviceId, metric, communeId. */
export function byKey(a: Omit<Reading, 'value'>, b: Omit<Reading, 'value'>): number {
  return (
    a.ts - b.ts || cmp(a.deviceId, b.deviceId) || cmp(a.metric, b.metric) || cmp(a.communeId, b.communeId)
  );
}
