/**
 * LoRaWAN bench (`npm run bench -- --only lorawan`): the payload codecs' decode rate per model
 * (frames/s, one core), the ChirpStack event decoder (envelope, codec and link health, events/s),
 * and the bridge end to end: ChirpStack v4 `up` events published QoS 1 by a network server account
 * into the real service (embedded aedes, ingest, spool, SQLite store), counted when the store has
 * confirmed them (uplinks/s stored). Figures only; nothing asserted.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PAYLOAD_CODECS } from '../../gateway/lorawan/codecs/registry.ts';
import { LorawanDecoder } from '../../gateway/lorawan/decoder.ts';
import { chirpStackUplink } from '../../gateway/simulator/lorawan.ts';
import { durableChannel } from '../../services/ingest/batch-writer.ts';
import { connectDevice, startTestApp } from '../setup/app.ts';
import { type Figure, fmtInt } from './harness.ts';

export const LORAWAN_DEFAULTS = { decodeMs: 1500, sensors: 300, uplinks: 30_000, inFlight: 200 };
const APP = '6f1d3c2a-5b7e-4a19-9c3d-2e8f0a4b7c61';
const eui = (i: number) => `a8404100${i.toString(16).padStart(8, '0')}`;
const MODELS = PAYLOAD_CODECS.map((c) => c.kind);

function readings(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    soilMoisturePct: 15 + (i % 300) / 10,
    soilTempC: 20 + (i % 100) / 10,
    soilEcUsCm: 200 + (i % 500),
    batteryPct: 20 + (i % 80),
  }));
}

function codecRates(ms: number): Figure[] {
  const rs = readings(1000);
  return PAYLOAD_CODECS.map((codec) => {
    const frames = rs.map((r) => codec.encode(r));
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (const f of frames) codec.decode(f.fPort, f.bytes);
      n += frames.length;
    }
    const perSec = (n / (performance.now() - t0)) * 1000;
    console.log(`  ${codec.kind}: ${fmtInt(perSec)} frames/s`);
    return {
      scenario: 'lorawan',
      name: `${codec.kind} decode frames/s`,
      value: fmtInt(perSec),
      note: `${frames[0]!.bytes.length}-byte frame`,
    };
  });
}

function uplinks(count: number, sensors: number): Array<{ topic: string; payload: string }> {
  const states = Array.from({ length: sensors }, () => ({ fCnt: 0 }));
  const rs = readings(997);
  const t0 = Date.now() - count * 1000;
  return Array.from({ length: count }, (_, i) => {
    const s = i % sensors;
    const r = rs[i % rs.length]!;
    return chirpStackUplink(
      { id: `b-${s}`, devEui: eui(s), sensorModel: MODELS[s % MODELS.length]! },
      states[s]!,
      { ...r, rssiDbm: -100, snrDb: 5 },
      { applicationId: APP, accountId: 'b-ns', nowTs: t0 + i * 1000 },
    )!;
  });
}

function decoderRate(ms: number): Figure {
  const d = new LorawanDecoder(
    Array.from({ length: 300 }, (_, s) => ({
      deviceId: `b-${s}`,
      communeId: 'xa-bench',
      devEui: eui(s),
      codec: PAYLOAD_CODECS[s % PAYLOAD_CODECS.length]!,
      reportedBy: ['b-ns'],
      frozenAfterMs: 12 * 3_600_000,
    })),
  );
  const msgs = uplinks(30_000, 300);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms && n < msgs.length) {
    const m = msgs[n++]!;
    d.translate(m.topic, m.payload, 'b-ns', Date.now());
  }
  const perSec = (n / (performance.now() - t0)) * 1000;
  console.log(`  ChirpStack up → cx/v1 documents: ${fmtInt(perSec)} events/s`);
  return {
    scenario: 'lorawan',
    name: 'decoder (JSON envelope + codec + link health) events/s',
    value: fmtInt(perSec),
  };
}

async function endToEnd(o: typeof LORAWAN_DEFAULTS): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-bench-lorawan-'));
  mkdirSync(join(dir, 'communes'));
  const dev = (id: string, more: object) => ({
    id,
    name: id,
    site: 'farm',
    installedAt: '2026-01-05',
    ...more,
  });
  writeFileSync(
    join(dir, 'communes', 'xa-bench.yaml'),
    stringify({
      commune: { id: 'xa-bench', name: 'Xã Đo', province: 'Đồng Nai', center: { lat: 11, lon: 107 } },
      hamlets: [{ id: 'ap-1', name: 'Ấp 1' }],
      sites: [{ id: 'farm', name: 'Vườn', kind: 'farm', hamlet: 'ap-1', location: { lat: 11, lon: 107 } }],
      devices: [
        dev('b-ns', { type: 'gateway', applicationIds: [APP] }),
        ...Array.from({ length: o.sensors }, (_, s) =>
          dev(`b-${s}`, {
            type: 'soil-sensor',
            devEui: eui(s),
            sensorModel: MODELS[s % MODELS.length],
            reportedBy: ['b-ns'],
            dependsOn: ['b-ns'],
          }),
        ),
      ],
    }),
  );
  mkdirSync(join(dir, 'data'));
  const app = await startTestApp({ communesDir: join(dir, 'communes'), dataDir: join(dir, 'data') });
  const msgs = uplinks(o.uplinks, o.sensors);
  let stored = 0;
  let doneAt = 0;
  const onDurable = (m: unknown) => {
    stored += (m as { work: unknown[] }).work.length;
    if (stored >= msgs.length && doneAt === 0) doneAt = performance.now();
  };
  subscribe(durableChannel.name, onDurable);
  try {
    const ns = await connectDevice(app, 'b-ns');
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: o.inFlight }, async () => {
        while (next < msgs.length) {
          const m = msgs[next++]!;
          await ns.publishAsync(m.topic, m.payload, { qos: 1 });
        }
      }),
    );
    const acked = performance.now();
    while (stored < msgs.length && performance.now() - acked < 60_000)
      await new Promise((r) => setTimeout(r, 20));
    const end = doneAt || performance.now();
    const perSec = (stored / (end - t0)) * 1000;
    const ackPerSec = (msgs.length / (acked - t0)) * 1000;
    const rejected = app.ingest.stats().rejected;
    console.log(
      `  ${fmtInt(stored)}/${fmtInt(msgs.length)} uplinks stored in ${((end - t0) / 1000).toFixed(1)} s: ${fmtInt(perSec)} uplinks/s (PUBACKed at ${fmtInt(ackPerSec)}/s; ${rejected} refused)`,
    );
    await ns.endAsync();
    return [
      {
        scenario: 'lorawan',
        name: 'bridge end to end: uplinks/s stored',
        value: fmtInt(perSec),
        note: `${fmtInt(msgs.length)} ChirpStack up events, ${o.sensors} sensors of ${MODELS.length} models, one network server account, QoS 1, ${o.inFlight} in flight; ~8 readings each`,
      },
    ];
  } finally {
    unsubscribe(durableChannel.name, onDurable);
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchLorawan(o = LORAWAN_DEFAULTS): Promise<{ figures: Figure[] }> {
  const figures = [...codecRates(o.decodeMs), decoderRate(o.decodeMs)];
  figures.push(...(await endToEnd(o)));
  return { figures };
}
