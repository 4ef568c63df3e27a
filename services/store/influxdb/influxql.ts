/**
 * InfluxQL text and answers for influx-store.ts: quoting, time bounds and the chunked JSON answer
 * of the v1 `/query` endpoint. Pure functions, no I/O.
 */

/** InfluxDB's time range is int64 ns minus two sentinels, about 1677–2262. */
export const MIN_NS = -9_223_372_036_854_775_806n;
export const MAX_NS = 9_223_372_036_854_775_806n;

/**
 * String literal. The InfluxQL scanner knows only the escapes \\ \' \" \n, and a raw newline ends
 * the token. https://github.com/influxdata/influxql/blob/master/scanner.go (ScanString)
 */
export function literal(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** Double-quoted identifier, same escapes as a string literal. */
export function ident(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}

/** Epoch ms (any value) as integer ns, clamped to InfluxDB's range. */
function ns(ms: number): bigint {
  const v = BigInt(Math.ceil(Math.min(Math.max(ms, -1e16), 1e16))) * 1_000_000n;
  return v < MIN_NS ? MIN_NS : v > MAX_NS ? MAX_NS : v;
}

/** `time >= from AND time < to` as integer ns (epoch ms in, any ms value), clamped to InfluxDB's range. */
export function timeRange(fromTs: number, toTs: number): string[] {
  return [`time >= ${ns(fromTs)}`, `time < ${ns(toTs)}`];
}

/**
 * Aggregates `source`'s float field `value` into `target`, one point per series and bucket with
 * fields min, max, mean (float) and count (integer). `GROUP BY *` is what keeps the tags as tags:
 * without it INTO writes them as fields. fill(none) writes no point for an empty bucket. Checked
 * on InfluxDB 1.6.7: tags stay tags, a rerun overwrites the same points.
 * https://docs.influxdata.com/influxdb/v1/query_language/explore-data/#the-into-clause
 */
export function rollupInto(
  source: string,
  target: string,
  interval: '1m' | '1h',
  fromTs: number,
  toTs: number,
): string {
  return (
    `SELECT min("value") AS "min", max("value") AS "max", mean("value") AS "mean", count("value") AS "count"` +
    ` INTO ${ident(target)} FROM ${ident(source)}${whereClause(timeRange(fromTs, toTs))}` +
    ` GROUP BY time(${interval}), * fill(none)`
  );
}

/**
 * Deletes one commune's points before `beforeTs` (epoch ms). InfluxQL DELETE takes tag and time
 * conditions only, which is all we need. Checked on InfluxDB 1.6.7: other communes are kept, and a
 * measurement that does not exist yet is no error.
 * https://docs.influxdata.com/influxdb/v1/query_language/manage-database/#delete-series-with-delete
 */
export function deleteBefore(measurement: string, communeId: string, beforeTs: number): string {
  return `DELETE FROM ${ident(measurement)} WHERE "commune" = ${literal(communeId)} AND time < ${ns(beforeTs)}`;
}

export interface Series {
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly columns: readonly string[];
  values?: unknown[][];
  readonly partial?: boolean;
}

interface Chunk {
  readonly error?: string;
  readonly results?: readonly { error?: string; partial?: boolean; series?: Series[] }[];
}

export type Answer = { readonly series: Series[] } | { readonly error: string };

/**
 * The series of a one-statement answer requested with `chunked=true`: one JSON document per line,
 * every one but the last marked `partial`. We always ask for chunks because a plain answer is cut
 * at the server's max-row-limit, and 1.6 marks a merged plain answer over 10,000 rows `partial`
 * even when it is whole, so truncation could not be told apart. A server that ignores `chunked`
 * sends one document, which parses the same way.
 */
export function parseAnswer(text: string): Answer {
  const series: Series[] = [];
  let partial = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const chunk = JSON.parse(line) as Chunk;
    const result = chunk.results?.[0];
    const error = chunk.error ?? result?.error;
    if (error !== undefined) return { error };
    for (const s of result?.series ?? []) {
      const last = series.at(-1);
      if (last?.name === s.name && sameTags(last?.tags, s.tags)) {
        for (const row of s.values ?? []) last?.values?.push(row);
      } else series.push({ ...s, values: [...(s.values ?? [])] });
    }
    partial = result?.partial === true;
  }
  if (partial) return { error: 'answer ended before its last chunk' };
  return { series };
}

function sameTags(a: Series['tags'], b: Series['tags']): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => a?.[k] === b?.[k]);
}
