import type { ReasonCode, ReasonParams } from '../../../services/protocol/reasons.ts';

/** Why a frame could not be read: a reason from the protocol's catalogue (vi/en text there). */
export interface DecodeError {
  readonly code: ReasonCode;
  readonly params: ReasonParams;
}

/** Readings keyed by metric name with its unit (soilMoisturePct, soilTempC, soilEcUsCm, batteryPct, batteryV). */
export type Metrics = Readonly<Record<string, number>>;

export type DecodeResult = { readonly metrics: Metrics } | { readonly error: DecodeError };

/** What the simulator and the tests ask a codec to encode: one soil reading. */
export interface SoilReading {
  readonly soilMoisturePct: number;
  readonly soilTempC: number;
  readonly soilEcUsCm: number;
  /** 0–100; a codec whose sensor reports volts converts it (batteryV). */
  readonly batteryPct: number;
}

/**
 * A LoRaWAN sensor model's payload format, written from the vendor's published documentation.
 * One file per model, listed in registry.ts; `kind` is kept in commune files (`sensorModel`), so
 * never rename one. test/conformance/codec.suite.ts holds the contract.
 */
export interface PayloadCodec {
  /** Stable kebab-case name: vendor-model (`dragino-lse01`). */
  readonly kind: string;
  readonly label: { readonly vi: string; readonly en: string };
  /** Every metric `decode` and `fromObject` may return. */
  readonly metrics: readonly string[];
  /** Application ports the sensor sends readings on; any other is refused as `payload-wrong-fport`. */
  readonly fPorts: readonly number[];
  /** Longest frame the format allows, in bytes; longer is `payload-oversized`. */
  readonly maxBytes: number;
  /** The vendor's default uplink interval, seconds: liveness counts missed intervals of it. */
  readonly uplinkIntervalSec: number;
  /**
   * Reads one frame. Success: at least one metric, every value finite. Failure: an error with a
   * catalogue reason and exactly its params. Never throws, whatever the bytes.
   */
  decode(fPort: number, bytes: Uint8Array): DecodeResult;
  /**
   * Reads a network server's decoded `object` (the vendor's own decoder running in ChirpStack),
   * by the vendor decoder's field names. Null when it holds no field this codec knows: the raw
   * frame is decoded instead. Never throws.
   */
  fromObject(object: Readonly<Record<string, unknown>>): Metrics | null;
  /** The frame the sensor would send for a reading: for the simulator, the tests and the bench. */
  encode(reading: SoilReading): { readonly fPort: number; readonly bytes: Uint8Array };
}

export function fail(code: ReasonCode, params: ReasonParams = {}): { error: DecodeError } {
  return { error: { code, params } };
}

/** The checks every format starts with: the port, an empty frame, and the length bounds. */
export function frameProblem(
  codec: Pick<PayloadCodec, 'fPorts' | 'maxBytes'>,
  fPort: number,
  bytes: Uint8Array,
  minBytes: number,
): { error: DecodeError } | null {
  if (!codec.fPorts.includes(fPort))
    return fail('payload-wrong-fport', { fPort, expected: codec.fPorts.join(', ') });
  if (bytes.length === 0) return fail('payload-empty');
  if (bytes.length < minBytes) return fail('payload-truncated', { bytes: bytes.length, expected: minBytes });
  if (bytes.length > codec.maxBytes)
    return fail('payload-oversized', { bytes: bytes.length, max: codec.maxBytes });
  return null;
}

/** A number from a decoded object: a number, or a numeric string (Dragino's decoder uses toFixed). */
export function numberField(object: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const v = object[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** Maps a decoded object's fields to our metrics by a table; null when none is present. */
export function mapObject(
  object: Readonly<Record<string, unknown>>,
  fields: Readonly<Record<string, readonly [metric: string, scale: number]>>,
): Metrics | null {
  const out: Record<string, number> = {};
  for (const [key, [metric, scale]] of Object.entries(fields)) {
    const n = numberField(object, key);
    if (n !== undefined) out[metric] = Math.round(n * scale * 1000) / 1000;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** Keeps readings physically possible; anything else is a broken frame, not a reading. */
export function outOfRange(
  metrics: Metrics,
  ranges: Readonly<Record<string, readonly [number, number]>>,
): { error: DecodeError } | null {
  for (const [metric, value] of Object.entries(metrics)) {
    const r = ranges[metric];
    if (!Number.isFinite(value) || (r && (value < r[0] || value > r[1])))
      return fail('payload-out-of-range', { metric, value });
  }
  return null;
}

/** Physical ranges of soil readings, shared by the soil codecs (generous: the sensors' own specs are narrower). */
export const SOIL_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  soilMoisturePct: [0, 100],
  soilTempC: [-40, 85],
  soilEcUsCm: [0, 100_000],
  batteryPct: [0, 100],
  batteryV: [0, 5],
};
