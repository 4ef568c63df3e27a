import {
  type DecodeResult,
  fail,
  frameProblem,
  mapObject,
  outOfRange,
  type PayloadCodec,
  SOIL_RANGES,
} from './codec.ts';

/**
 * Dragino LSE01 soil moisture & EC sensor. From the LSE01 user manual v1.5 §2.3 (uplink payload)
 * and §2.4 (uplink every 20 min by default), and the vendor's decoder in TheThingsNetwork/
 * lorawan-devices (vendor/dragino/lse01*.{js,yaml}), whose example frame is our fixture.
 *
 * fPort 2, 11 bytes, big-endian:
 *   0–1 battery mV (the top two bits are flags: masked)   2–3 DS18B20 probe °C ×10 (optional, unused)
 *   4–5 soil moisture % ×100    6–7 soil temperature °C ×100, signed    8–9 conductivity µS/cm
 *   10  flags (interrupt / sensor identified; not a reading)
 * fPort 5, 7 bytes: the device status every Dragino node sends after joining:
 *   0 sensor model   1–2 firmware   3 frequency band   4 sub-band   5–6 battery mV
 */
const READINGS_BYTES = 11;
const STATUS_BYTES = 7;

export const draginoLse01: PayloadCodec = {
  kind: 'dragino-lse01',
  label: {
    vi: 'Dragino LSE01 (độ ẩm, nhiệt độ, độ dẫn điện đất)',
    en: 'Dragino LSE01 (soil moisture, temperature, EC)',
  },
  metrics: ['soilMoisturePct', 'soilTempC', 'soilEcUsCm', 'batteryV'],
  fPorts: [2, 5],
  maxBytes: READINGS_BYTES,
  uplinkIntervalSec: 1200,

  decode(fPort, bytes): DecodeResult {
    const bad = frameProblem(this, fPort, bytes, fPort === 5 ? STATUS_BYTES : READINGS_BYTES);
    if (bad) return bad;
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (fPort === 5) {
      if (bytes.length !== STATUS_BYTES)
        return fail('payload-oversized', { bytes: bytes.length, max: STATUS_BYTES });
      const metrics = { batteryV: v.getUint16(5) / 1000 };
      return outOfRange(metrics, SOIL_RANGES) ?? { metrics };
    }
    const metrics = {
      batteryV: (v.getUint16(0) & 0x3fff) / 1000,
      soilMoisturePct: v.getUint16(4) / 100,
      soilTempC: v.getInt16(6) / 100,
      soilEcUsCm: v.getUint16(8),
    };
    return outOfRange(metrics, SOIL_RANGES) ?? { metrics };
  },

  fromObject(object) {
    // Field names of Dragino's own decoder (strings from toFixed, hence numberField's parsing).
    return mapObject(object, {
      water_SOIL: ['soilMoisturePct', 1],
      temp_SOIL: ['soilTempC', 1],
      conduct_SOIL: ['soilEcUsCm', 1],
      Bat: ['batteryV', 1],
    });
  },

  encode(r) {
    const bytes = new Uint8Array(READINGS_BYTES);
    const v = new DataView(bytes.buffer);
    // Li-SOCl2: about 3.6 V full, 3.0 V empty; a simulator's approximation, not the vendor's curve.
    v.setUint16(0, Math.round(3000 + 6 * r.batteryPct));
    v.setInt16(2, Math.round(r.soilTempC * 10));
    v.setUint16(4, Math.round(r.soilMoisturePct * 100));
    v.setInt16(6, Math.round(r.soilTempC * 100));
    v.setUint16(8, Math.round(r.soilEcUsCm));
    bytes[10] = 0x80;
    return { fPort: 2, bytes };
  },
};
