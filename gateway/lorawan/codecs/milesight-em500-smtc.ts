import {
  type DecodeResult,
  fail,
  frameProblem,
  type Metrics,
  mapObject,
  outOfRange,
  type PayloadCodec,
  SOIL_RANGES,
} from './codec.ts';

/**
 * Milesight EM500-SMTC soil moisture, temperature and EC sensor. From Milesight-IoT/SensorDecoders
 * EM_Series/EM500_Series/EM500-SMTC/README.md (payload definition and example frame) and the
 * EM500 user guide (fPort 85, default report interval 10 min).
 *
 * A frame is a run of channels, each `id type value…`, little-endian:
 *   01 75 battery % (1)          03 67 temperature °C ×10, signed (2)
 *   04 68 moisture % ×2 (1)      04 CA moisture % ×100 (2; newer firmware)
 *   05 7F conductivity µS/cm (2) 83 D7 temperature alarm: °C ×10, change, alarm type (5)
 *   20 CE history record (10: timestamp, EC, temperature, moisture; a past reading, skipped)
 *   FF xx device information after a join or a downlink answer (skipped, lengths below)
 * A 2-byte value of 0xFFFF means "collection failed", 0xFFFD "out of range": a sensor fault.
 */
const FF_LENGTHS: Readonly<Record<number, number>> = {
  1: 1, // IPSO version
  9: 2, // hardware version
  10: 2, // firmware version
  11: 1, // device status (power on)
  15: 1, // LoRaWAN class
  22: 8, // serial number
  254: 1, // reset event
  255: 2, // TSL version
  2: 2, // collection interval (downlink answer)
  3: 2, // report interval (downlink answer)
};
const FAULT = new Set([0xffff, 0xfffd]);
const hex = (n: number) => n.toString(16).padStart(2, '0');

function channels(bytes: Uint8Array): DecodeResult {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, number> = {};
  let i = 0;
  const need = (n: number) =>
    i + 2 + n > bytes.length ? fail('payload-truncated', { bytes: bytes.length, expected: i + 2 + n }) : null;
  const u16 = (metric: string, at: number): number | { error: ReturnType<typeof fail>['error'] } => {
    const raw = v.getUint16(at, true);
    return FAULT.has(raw) ? fail('payload-sensor-fault', { metric }) : raw;
  };
  while (i < bytes.length) {
    if (i + 2 > bytes.length) return fail('payload-truncated', { bytes: bytes.length, expected: i + 2 });
    const id = bytes[i]!;
    const type = bytes[i + 1]!;
    const at = i + 2;
    const len = channelLength(id, type);
    if (len === undefined)
      return fail('payload-unknown-channel', { channel: `${hex(id)} ${hex(type)}`, offset: i });
    const short = need(len);
    if (short) return short;
    if (id === 0x01) out.batteryPct = bytes[at]!;
    else if (id === 0x03 || id === 0x83) {
      const raw = u16('soilTempC', at);
      if (typeof raw !== 'number') return raw;
      out.soilTempC = v.getInt16(at, true) / 10;
    } else if (id === 0x04 && type === 0x68) out.soilMoisturePct = bytes[at]! / 2;
    else if (id === 0x04) {
      const raw = u16('soilMoisturePct', at);
      if (typeof raw !== 'number') return raw;
      out.soilMoisturePct = raw / 100;
    } else if (id === 0x05) {
      const raw = u16('soilEcUsCm', at);
      if (typeof raw !== 'number') return raw;
      out.soilEcUsCm = raw;
    }
    i = at + len;
  }
  return { metrics: out };
}

function channelLength(id: number, type: number): number | undefined {
  if (id === 0x01 && type === 0x75) return 1;
  if (id === 0x03 && type === 0x67) return 2;
  if (id === 0x04 && type === 0x68) return 1;
  if (id === 0x04 && type === 0xca) return 2;
  if (id === 0x05 && type === 0x7f) return 2;
  if (id === 0x83 && type === 0xd7) return 5;
  if (id === 0x20 && type === 0xce) return 10;
  if (id === 0xff) return FF_LENGTHS[type];
  return undefined;
}

export const milesightEm500Smtc: PayloadCodec = {
  kind: 'milesight-em500-smtc',
  label: {
    vi: 'Milesight EM500-SMTC (độ ẩm, nhiệt độ, độ dẫn điện đất)',
    en: 'Milesight EM500-SMTC (soil moisture, temperature, EC)',
  },
  metrics: ['soilMoisturePct', 'soilTempC', 'soilEcUsCm', 'batteryPct'],
  fPorts: [85],
  maxBytes: 128,
  uplinkIntervalSec: 600,

  decode(fPort, bytes): DecodeResult {
    const bad = frameProblem(this, fPort, bytes, 3);
    if (bad) return bad;
    const r = channels(bytes);
    if ('error' in r) return r;
    // Device information alone (after a join) carries no reading: nothing to store, not an error of ours.
    if (Object.keys(r.metrics).length === 0) return fail('payload-empty');
    return outOfRange(r.metrics, SOIL_RANGES) ?? r;
  },

  fromObject(object): Metrics | null {
    // Field names of Milesight's decoders: `electricity` in SensorDecoders, `conductivity` on TTN.
    return mapObject(object, {
      battery: ['batteryPct', 1],
      temperature: ['soilTempC', 1],
      moisture: ['soilMoisturePct', 1],
      humidity: ['soilMoisturePct', 1],
      electricity: ['soilEcUsCm', 1],
      conductivity: ['soilEcUsCm', 1],
      ec: ['soilEcUsCm', 1],
    });
  },

  encode(r) {
    const bytes = Uint8Array.of(0x01, 0x75, 0, 0x03, 0x67, 0, 0, 0x04, 0xca, 0, 0, 0x05, 0x7f, 0, 0);
    const v = new DataView(bytes.buffer);
    bytes[2] = Math.round(r.batteryPct);
    v.setInt16(5, Math.round(r.soilTempC * 10), true);
    v.setUint16(9, Math.round(r.soilMoisturePct * 100), true);
    v.setUint16(13, Math.min(0xfffc, Math.round(r.soilEcUsCm)), true);
    return { fPort: 85, bytes };
  },
};
