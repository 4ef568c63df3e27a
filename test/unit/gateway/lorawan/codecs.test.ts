import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAYLOAD_CODECS, payloadCodecs } from '../../../../gateway/lorawan/codecs/registry.ts';

const ROOT = resolve(import.meta.dirname, '../../../..');
interface Fixture {
  codec: string;
  source: string;
  fPort: number;
  hex: string;
  metrics?: Record<string, number>;
  error?: string;
}
const { frames } = JSON.parse(
  readFileSync(join(ROOT, 'test/fixtures/lorawan/vendor-frames.json'), 'utf8'),
) as {
  frames: Fixture[];
};

describe('payload codecs on the vendors’ documented frames', () => {
  it('has a fixture for every codec', () => {
    for (const c of PAYLOAD_CODECS)
      expect(
        frames.some((f) => f.codec === c.kind),
        c.kind,
      ).toBe(true);
  });

  for (const f of frames)
    it(`${f.codec}: ${f.source}`, () => {
      const codec = payloadCodecs.get(f.codec)!;
      const r = codec.decode(f.fPort, Buffer.from(f.hex, 'hex'));
      if (f.error) expect(r).toMatchObject({ error: { code: f.error } });
      else {
        expect(r).toHaveProperty('metrics');
        const m = (r as { metrics: Record<string, number> }).metrics;
        expect(Object.keys(m).sort()).toEqual(Object.keys(f.metrics!).sort());
        for (const [k, v] of Object.entries(f.metrics!)) expect(m[k], k).toBeCloseTo(v, 3);
      }
    });

  it('reads each vendor decoder’s own output (ChirpStack’s `object`)', () => {
    expect(
      payloadCodecs.get('dragino-lse01')!.fromObject({
        Bat: 3.625,
        TempC_DS18B20: '24.1',
        conduct_SOIL: 28200,
        temp_SOIL: '24.59',
        water_SOIL: '19.57',
      }),
    ).toEqual({ batteryV: 3.625, soilEcUsCm: 28200, soilTempC: 24.59, soilMoisturePct: 19.57 });
    expect(
      payloadCodecs
        .get('milesight-em500-smtc')!
        .fromObject({ battery: 100, temperature: 28.1, moisture: 57.5, ec: 240 }),
    ).toEqual({
      batteryPct: 100,
      soilTempC: 28.1,
      soilMoisturePct: 57.5,
      soilEcUsCm: 240,
    });
    expect(
      payloadCodecs.get('sensecap-s2105')!.fromObject({
        valid: true,
        messages: [
          { type: 'report_telemetry', measurementId: 4102, measurementValue: 23.9 },
          { type: 'report_telemetry', measurementId: 4108, measurementValue: 0.18 },
        ],
      }),
    ).toEqual({ soilTempC: 23.9, soilEcUsCm: 180 });
  });
});

describe('payload codec registry', () => {
  it('lists every codec file of the folder, once', () => {
    const dir = join(ROOT, 'gateway/lorawan/codecs');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !['codec.ts', 'registry.ts'].includes(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(PAYLOAD_CODECS.map((c) => c.kind).sort()).toEqual(files);
    expect(new Set(PAYLOAD_CODECS.map((c) => c.kind)).size).toBe(PAYLOAD_CODECS.length);
  });
});
