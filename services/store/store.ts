/**
 * The time-series store seam: telemetry and heartbeat readings, their 1-minute and 1-hour rollups
 * and per-commune pruning. Implementations: `sqlite` (the embedded default, embedded/) and
 * `influxdb` (influxdb/). All pass test/conformance/store.suite.ts.
 */

/** One number at one instant from one device. The key is (communeId, deviceId, metric, ts). */
export interface Reading {
  readonly communeId: string;
  readonly deviceId: string;
  /** camelCase with its unit: soilMoisturePct, latencyMs, heartbeat. */
  readonly metric: string;
  /** Device time, epoch ms UTC (receive time when the device sent none). */
  readonly ts: number;
  readonly value: number;
}

export interface RangeQuery {
  readonly communeId?: string;
  readonly deviceId?: string;
  readonly metric?: string;
  /** Inclusive, epoch ms. */
  readonly fromTs: number;
  /** Exclusive, epoch ms. */
  readonly toTs: number;
  /** At most this many rows (the earliest); default 10,000. */
  readonly limit?: number;
}

/** Rollup resolutions: bucket sizes aligned to the Unix epoch, so a 1h bucket is a UTC hour. */
export type RollupResolution = '1m' | '1h';

/** Bucket length in ms per resolution. */
export const BUCKET_MS: Readonly<Record<RollupResolution, number>> = { '1m': 60_000, '1h': 3_600_000 };

/**
 * The whole buckets of `resolution` inside [fromTs, toTs), as [first bucket start, end) in epoch
 * ms; empty (from >= to) when none fits. Throws RangeError on a non-finite bound.
 */
export function wholeBuckets(
  fromTs: number,
  toTs: number,
  resolution: RollupResolution,
): { fromTs: number; toTs: number } {
  if (!Number.isFinite(fromTs) || !Number.isFinite(toTs)) {
    throw new RangeError(`rollup range [${fromTs}, ${toTs}) is not finite`);
  }
  const size = BUCKET_MS[resolution];
  // `+ 0` turns the -0 of Math.ceil(-0.5) into 0.
  return { fromTs: Math.ceil(fromTs / size) * size + 0, toTs: Math.floor(toTs / size) * size + 0 };
}

/** Aggregates of the readings of one (communeId, deviceId, metric) in one bucket. */
export interface RollupRow {
  readonly communeId: string;
  readonly deviceId: string;
  readonly metric: string;
  /** Bucket start, epoch ms UTC, a multiple of the bucket length. */
  readonly ts: number;
  /** In the metric's own unit, like Reading.value. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Readings in the bucket, at least 1. */
  readonly count: number;
}

/** What prune deletes: one commune's rows whose ts (bucket start for rollups) is before each bound. */
export interface PrunePolicy {
  readonly communeId: string;
  /** Epoch ms; raw readings with ts < rawBeforeTs go. */
  readonly rawBeforeTs: number;
  /** Epoch ms; 1-minute rollups with bucket start < minuteBeforeTs go. */
  readonly minuteBeforeTs: number;
  /** Epoch ms; 1-hour rollups with bucket start < hourBeforeTs go. */
  readonly hourBeforeTs: number;
}

/** Rows deleted per table, when the backend can tell (InfluxDB's DELETE cannot). */
export interface PruneCounts {
  readonly raw: number;
  readonly minute: number;
  readonly hour: number;
}

export interface Store {
  /** Stable name used in config (`store.kind`). */
  readonly kind: string;
  /** Opens connections / creates schema. Rejects with StoreError if the store cannot be used. */
  start(): Promise<void>;
  /**
   * Writes a batch. Resolves once the batch is durable in the store. Writing the same key again
   * replaces the value (idempotent replay). Rejects with StoreError and writes nothing it cannot
   * vouch for; the caller keeps the batch and retries.
   */
  write(readings: readonly Reading[]): Promise<void>;
  /** Readings in the range, ordered by ts ascending then deviceId, metric. */
  query(range: RangeQuery): Promise<Reading[]>;
  /** The newest reading per (device, metric) matching the filter. */
  latest(filter: { communeId?: string; deviceId?: string }): Promise<Reading[]>;
  /**
   * Computes the 1-minute and 1-hour aggregates (min, max, mean, count per commune, device, metric
   * and bucket) from the raw readings, for every whole bucket inside [fromTs, toTs) (epoch ms; a
   * bucket cut by either bound is skipped). Idempotent: recomputing a bucket replaces its row. A key
   * with no raw readings left in a bucket (pruned) keeps its row, so re-running an old range never
   * erases rollups; a bucket whose raw readings were *partly* pruned would be recomputed from what is
   * left, so callers keep the range inside raw retention (RetentionJob does). Rejects with
   * StoreError on failure (buckets already written stay written: each is whole on its own), and
   * with RangeError on a non-finite bound (a bug in the caller).
   */
  rollup(fromTs: number, toTs: number): Promise<void>;
  /**
   * Rollup rows whose bucket start is in [fromTs, toTs), filtered like `query`, ordered by ts
   * ascending then deviceId, metric, communeId; at most `limit` rows (the earliest, default 10,000).
   */
  queryRollup(range: RangeQuery & { readonly resolution: RollupResolution }): Promise<RollupRow[]>;
  /**
   * Deletes one commune's raw readings and rollups older than the policy's bounds; other communes
   * and everything outside the store's time series (state intervals, events) are untouched.
   * Resolves with the rows deleted per table, or nothing when the backend cannot count. Rejects
   * with StoreError; a retry is harmless.
   */
  prune(policy: PrunePolicy): Promise<PruneCounts | undefined>;
  /** Flushes and releases resources. Safe to call twice; later writes reject. */
  close(): Promise<void>;
}

/**
 * What the ingest commits with a batch it writes straight to the store, bypassing the spool (see
 * services/ingest/direct-lane.ts): the redelivery keys of its QoS 1 messages and the highest
 * receive stamp it gave. In the same transaction as the readings, so after a crash a resend of a
 * stored message is known for one, and the next run stamps above every stored stamp.
 */
export interface IngestMarks {
  readonly keys: ReadonlyArray<{ readonly key: string; readonly receivedTs: number }>;
  /** The highest receive stamp among the batch's readings; 0 when none was stamped. */
  readonly stampTs: number;
  /** How many of the newest keys the store keeps (older ones cannot be resent any more). */
  readonly keep: number;
}

/** A store that can commit IngestMarks atomically with a batch (the embedded SQLite store). */
export interface MarkingStore extends Store {
  /** write(), with `marks` committed in the same transaction: both or neither. */
  writeMarked(readings: readonly Reading[], marks: IngestMarks): Promise<void>;
  /** The newest `limit` keys (oldest first) and the stamp floor committed by writeMarked. */
  readMarks(limit: number): { keys: string[]; stampTs: number };
  /** Forgets these keys (every key with 'all'): their messages can no longer be resent. */
  releaseMarks(keys: readonly string[] | 'all'): Promise<void>;
}

export function isMarkingStore(store: Store): store is MarkingStore {
  return typeof (store as Partial<MarkingStore>).writeMarked === 'function';
}
