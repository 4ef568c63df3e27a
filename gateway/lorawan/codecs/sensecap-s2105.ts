import {
  type DecodeResult,
  fail,
  frameProblem,
  type Metrics,
  outOfRange,
  type PayloadCodec,
  SOIL_RANGES,
} from './codec.ts';

/**
 * SenseCAP S2105 soil moisture, temperature and EC sensor (Seeed). From the SenseCAP S210X user
 * guide §9.2–9.3 (packet structure, measurement ids, examples) and Seeed's decoder in
 * TheThingsNetwork/lorawan-devices (vendor/sensecap/sensecap210x-*), whose examples we test.
 *
 * A frame is 7-byte records then a CRC, little-endian:
 *   channel (1) · id (2) · value (4, signed, ×1000)  …  CRC-16/KERMIT of everything before it (2)
 * Measurement ids: 0x1006 soil temperature °C, 0x1007 soil moisture %, 0x100C EC dS/m (×1000 →
 * µS/cm). Special ids: 0x0007 battery % (low 16 bits) and interval in minutes (high 16 bits);
 * 0x0000–0x0004 versions and sensor EUI, 0x0120 sensor removed: no reading, skipped.
 * The guide's S2105 example (`…48A30000…DD0A`) does not verify (its text says 45.5 % where the
 * bytes say 41.8 %, and DD0A is not the CRC): test/unit/gateway/lorawan/codecs.test.ts keeps it
 * as a refused frame; the S2104 example and Seeed's TTN examples verify.
 */
const RECORD = 7;
const MEASUREMENTS: Readonly<Record<number, readonly [metric: string, scale: number]>> = {
  4102: ['soilTempC', 1 / 1000],
  4103: ['soilMoisturePct', 1 / 1000],
  4108: ['soilEcUsCm', 1], // dS/m ×1000 = µS/cm
};
const SPECIAL = new Set([0x0000, 0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x0120]);

/** CRC-16/KERMIT (poly 0x1021 reflected, init 0): what Seeed's examples carry, low byte first. */
export function crc16Kermit(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export const sensecapS2105: PayloadCodec = {
  kind: 'sensecap-s2105',
  label: {
    vi: 'SenseCAP S2105 (độ ẩm, nhiệt độ, độ dẫn điện đất)',
    en: 'SenseCAP S2105 (soil moisture, temperature, EC)',
  },
  metrics: ['soilMoisturePct', 'soilTempC', 'soilEcUsCm', 'batteryPct'],
  // Seeed's decoder ignores the port; its published examples use 1, the sensors send on 2–3.
  fPorts: [1, 2, 3],
  maxBytes: 7 * 30 + 2,
  uplinkIntervalSec: 3600,

  decode(fPort, bytes): DecodeResult {
    const bad = frameProblem(this, fPort, bytes, RECORD + 2);
    if (bad) return bad;
    if ((bytes.length - 2) % RECORD !== 0)
      return fail('payload-truncated', {
        bytes: bytes.length,
        expected: Math.ceil((bytes.length - 2) / RECORD) * RECORD + 2,
      });
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const body = bytes.subarray(0, bytes.length - 2);
    const got = v.getUint16(bytes.length - 2, true);
    const expected = crc16Kermit(body);
    if (got !== expected) return fail('payload-bad-crc', { got: hex4(got), expected: hex4(expected) });
    const out: Record<string, number> = {};
    for (let at = 0; at < body.length; at += RECORD) {
      const id = v.getUint16(at + 1, true);
      const m = MEASUREMENTS[id];
      if (m) out[m[0]] = Math.round(v.getInt32(at + 3, true) * m[1] * 1000) / 1000;
      else if (id === 0x0007) out.batteryPct = v.getUint16(at + 3, true);
      else if (!SPECIAL.has(id)) return fail('payload-unknown-channel', { channel: hex4(id), offset: at });
    }
    if (Object.keys(out).length === 0) return fail('payload-empty');
    return outOfRange(out, SOIL_RANGES) ?? { metrics: out };
  },

  fromObject(object): Metrics | null {
    // Seeed's decoder yields { messages: [{ measurementId, measurementValue }] } (or nested arrays).
    const flat = (Array.isArray(object.messages) ? object.messages.flat(2) : []) as unknown[];
    const out: Record<string, number> = {};
    for (const m of flat) {
      if (typeof m !== 'object' || m === null) continue;
      const { measurementId, measurementValue, type, battery } = m as Record<string, unknown>;
      const spec = MEASUREMENTS[Number(measurementId)];
      if (spec && typeof measurementValue === 'number' && Number.isFinite(measurementValue))
        out[spec[0]] = spec[0] === 'soilEcUsCm' ? measurementValue * 1000 : measurementValue;
      if (type === 'upload_battery' && typeof battery === 'number') out.batteryPct = battery;
    }
    return Object.keys(out).length > 0 ? out : null;
  },

  encode(r) {
    const records: Array<[number, number]> = [
      [0x1006, Math.round(r.soilTempC * 1000)],
      [0x1007, Math.round(r.soilMoisturePct * 1000)],
      [0x100c, Math.round(r.soilEcUsCm)],
      [0x0007, (60 << 16) | Math.round(r.batteryPct)],
    ];
    const bytes = new Uint8Array(records.length * RECORD + 2);
    const v = new DataView(bytes.buffer);
    records.forEach(([id, value], k) => {
      bytes[k * RECORD] = id === 0x0007 ? 0 : 1;
      v.setUint16(k * RECORD + 1, id, true);
      v.setInt32(k * RECORD + 3, value, true);
    });
    v.setUint16(bytes.length - 2, crc16Kermit(bytes.subarray(0, bytes.length - 2)), true);
    return { fPort: 3, bytes };
  },
};
