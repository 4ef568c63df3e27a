/**
 * The time-series store seam: telemetry and heartbeat readings. Implementations: `sqlite` (the
 * embedded default, embedded/) and `influxdb` (influxdb/). All pass test/conformance/store.suite.ts.
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
  /** Flushes and releases resources. Safe to call twice; later writes reject. */
  close(): Promise<void>;
}
