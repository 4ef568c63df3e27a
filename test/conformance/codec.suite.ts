import { describe, expect, it } from 'vitest';
import type { DecodeResult, PayloadCodec } from '../../gateway/lorawan/codecs/codec.ts';
import { payloadCodecs } from '../../gateway/lorawan/codecs/registry.ts';
import { REASONS } from '../../services/protocol/reasons.ts';
import { t } from '../../services/shared/i18n/index.ts';

/** Deterministic PRNG (mulberry32), so a failing random frame can be replayed from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The contract: a result, never a throw; an error is a catalogue reason with exactly its params. */
function expectWellFormed(codec: PayloadCodec, r: DecodeResult, what: string): void {
  if ('metrics' in r) {
    const names = Object.keys(r.metrics);
    expect(names.length, what).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(r.metrics)) {
      expect(codec.metrics, `${what}: ${k}`).toContain(k);
      expect(Number.isFinite(v), `${what}: ${k}=${v}`).toBe(true);
    }
    return;
  }
  const spec = REASONS[r.error.code];
  expect(spec, `${what}: ${r.error.code} is in the catalogue`).toBeDefined();
  expect(Object.keys(r.error.params).sort(), `${what}: params of ${r.error.code}`).toEqual(
    [...spec.params].sort(),
  );
  for (const locale of ['vi', 'en'] as const)
    expect(t(locale, `reason.${r.error.code}`, r.error.params), `${what} (${locale})`).not.toMatch(
      /[{}]|^reason\./,
    );
}

function safeDecode(codec: PayloadCodec, fPort: number, bytes: Uint8Array): DecodeResult {
  try {
    return codec.decode(fPort, bytes);
  } catch (err) {
    throw new Error(
      `${codec.kind} threw on fPort ${fPort} ${Buffer.from(bytes).toString('hex')}: ${String(err)}`,
    );
  }
}

const READING = { soilMoisturePct: 31.5, soilTempC: 24.3, soilEcUsCm: 612, batteryPct: 76 };

export function codecConformance(kind: string): void {
  const codec: PayloadCodec | undefined = payloadCodecs.get(kind);
  if (!codec) throw new Error(`payload codec "${kind}" is not in gateway/lorawan/codecs/registry.ts`);
  describe(`payload codec ${codec.kind}`, () => {
    const good = codec.encode(READING);

    it('has a kebab-case kind, vi and en labels, ports, a size bound and an uplink interval', () => {
      expect(codec.kind).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(codec.label.vi.trim()).not.toBe('');
      expect(codec.label.en.trim()).not.toBe('');
      expect(codec.fPorts.length).toBeGreaterThan(0);
      expect(codec.maxBytes).toBeGreaterThan(0);
      expect(codec.uplinkIntervalSec).toBeGreaterThanOrEqual(60);
    });

    it('decodes what it encodes (the simulator speaks the vendor format)', () => {
      const r = codec.decode(good.fPort, good.bytes);
      expect(r).toHaveProperty('metrics');
      const m = (r as { metrics: Record<string, number> }).metrics;
      expect(m.soilMoisturePct).toBeCloseTo(READING.soilMoisturePct, 1);
      expect(m.soilTempC).toBeCloseTo(READING.soilTempC, 0);
      expect(m.soilEcUsCm).toBeCloseTo(READING.soilEcUsCm, 0);
      expectWellFormed(codec, r, 'encoded');
    });

    it('refuses every truncation of a good frame with a reason, never a throw', () => {
      for (let n = 0; n < good.bytes.length; n++) {
        const r = safeDecode(codec, good.fPort, good.bytes.subarray(0, n));
        expectWellFormed(codec, r, `first ${n} bytes`);
        if (n === 0)
          expect(r).toMatchObject({ error: { code: expect.stringMatching(/^payload-(empty|truncated)$/) } });
      }
    });

    it('refuses an oversized frame', () => {
      const big = new Uint8Array(codec.maxBytes + 1).fill(0x01);
      big.set(good.bytes);
      const r = safeDecode(codec, good.fPort, big);
      expect(r).toMatchObject({ error: { code: 'payload-oversized' } });
      expectWellFormed(codec, r, 'oversized');
    });

    it('refuses a frame on a port the sensor does not send readings on', () => {
      const port = [0, 1, 2, 3, 5, 10, 85, 100, 223, 255].find((p) => !codec.fPorts.includes(p))!;
      const r = safeDecode(codec, port, good.bytes);
      expect(r).toMatchObject({ error: { code: 'payload-wrong-fport', params: { fPort: port } } });
      expectWellFormed(codec, r, 'wrong fPort');
    });

    it('never throws on 2,000 random frames (seeded), and answers each with readings or a reason', () => {
      const rand = seeded(0xc0dec + codec.kind.length);
      for (let i = 0; i < 2000; i++) {
        const len = Math.floor(rand() * (codec.maxBytes + 8));
        const bytes = Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
        const port =
          rand() < 0.8 ? codec.fPorts[Math.floor(rand() * codec.fPorts.length)]! : Math.floor(rand() * 256);
        expectWellFormed(
          codec,
          safeDecode(codec, port, bytes),
          `random #${i} fPort ${port} ${Buffer.from(bytes).toString('hex')}`,
        );
      }
    });

    it('reads only known fields of a decoded object, and null for none', () => {
      expect(codec.fromObject({})).toBeNull();
      expect(codec.fromObject({ somethingElse: 1, nested: { a: 1 } })).toBeNull();
      expect(() =>
        codec.fromObject({ messages: 'x', battery: 'abc', water_SOIL: null } as Record<string, unknown>),
      ).not.toThrow();
    });
  });
}
