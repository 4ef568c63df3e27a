/**
 * MQTT malformed-packet fuzz, longer than the test's (test/integration/mqtt-fuzz.test.ts): the real
 * service in this process, CX_FUZZ_CASES cases (default 20,000, at most 120 s) from CX_FUZZ_SEED
 * (default random, printed), then the same liveness check: a device connects, publishes at QoS 1
 * and its reading is stored. Prints cases/s, outcomes and RSS.
 */
import { connectDevice, startTestApp } from '../setup/app.ts';
import { deviceStillStored, fuzz } from '../setup/mqtt-fuzz.ts';
import { type Figure, fmtInt, fmtMB } from './harness.ts';

const LIVE = 'tl-wifi-ubnd';
const FUZZ_DEVICES = ['tl-loa-01', 'tl-loa-02', 'tl-cam-03', 'tl-cam-04'];

export async function benchFuzz(): Promise<{ figures: Figure[] }> {
  const seed = Number(process.env.CX_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const maxCases = Number(process.env.CX_FUZZ_CASES ?? 20_000);
  const app = await startTestApp();
  try {
    await (await connectDevice(app, LIVE)).endAsync();
    const rss0 = process.memoryUsage().rss;
    const report = await fuzz(
      {
        host: '127.0.0.1',
        port: app.mqttPort,
        devices: FUZZ_DEVICES.map((id) => [id, app.devicePasswords.get(id)!] as const),
        topicOf: (id) => `cx/v1/ta-lai/${id}/telemetry`,
      },
      { seed, maxCases, maxMs: 120_000, parallel: 32, waitMs: 10_000 },
    );
    const rss1 = process.memoryUsage().rss;
    const stored = await deviceStillStored(
      app,
      () => connectDevice(app, LIVE, { connectTimeout: 10_000 }),
      `cx/v1/ta-lai/${LIVE}/telemetry`,
    );
    const perSec = (report.cases * 1000) / report.ms;
    console.log(
      `  seed ${seed}: ${fmtInt(report.cases)} cases in ${(report.ms / 1000).toFixed(1)} s (${fmtInt(perSec)}/s); outcomes ${JSON.stringify(report.outcomes)}; kinds ${JSON.stringify(report.kinds)}`,
    );
    console.log(`  RSS ${fmtMB(rss0)} → ${fmtMB(rss1)}; liveness: ${stored ? 'stored' : 'NOT STORED'}`);
    if (!stored) throw new Error(`after the fuzz (seed ${seed}) a device's reading was not stored`);
    return {
      figures: [
        {
          scenario: 'fuzz',
          name: 'malformed-packet cases/s',
          value: fmtInt(perSec),
          note: `seed ${seed}, ${fmtInt(report.cases)} cases`,
        },
        { scenario: 'fuzz', name: 'RSS before / after', value: `${fmtMB(rss0)} / ${fmtMB(rss1)}` },
        { scenario: 'fuzz', name: 'liveness afterwards', value: 'stored' },
      ],
    };
  } finally {
    await app.stop();
  }
}
