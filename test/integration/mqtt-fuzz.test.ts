import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';
import { deviceStillStored, type FuzzTarget, fuzz, makeCase } from '../setup/mqtt-fuzz.ts';

// The seed is printed with every failure; CX_FUZZ_SEED=<seed> replays the same cases.
// More cases, with cases/s: `npm run bench -- --only fuzz`.
const SEED = Number(process.env.CX_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_CASES = 3000;
/** CI keeps this test under ~15 s: a loaded machine runs fewer cases, never a longer test. */
const MAX_MS = 8_000;
/** The device that proves the broker still works afterwards; never used by the fuzz cases. */
const LIVE = 'tl-wifi-ubnd';
const FUZZ_DEVICES = ['tl-loa-01', 'tl-loa-02', 'tl-cam-03', 'tl-cam-04'];

let app: TestApp;
const replay = `seed ${SEED} (replay: CX_FUZZ_SEED=${SEED} npx vitest run test/integration/mqtt-fuzz.test.ts)`;

beforeAll(async () => {
  app = await startTestApp();
  // Connected once before: its password is then proven from memory, so the cool-downs the fuzz
  // sets off for this address (refused CONNECTs by the hundred) do not lock it out.
  await (await connectDevice(app, LIVE)).endAsync();
});
afterAll(async () => {
  await app?.stop();
});

describe('MQTT malformed-packet fuzz against the embedded broker', () => {
  it('survives thousands of seeded malformed packets, then a device still publishes and is stored', async () => {
    const target: FuzzTarget = {
      host: '127.0.0.1',
      port: app.mqttPort,
      devices: FUZZ_DEVICES.map((id) => [id, app.devicePasswords.get(id)!] as const),
      topicOf: (id) => `cx/v1/ta-lai/${id}/telemetry`,
    };
    // A seed replays: the same case, byte for byte.
    expect(makeCase(SEED, 41, target).bytes.equals(makeCase(SEED, 41, target).bytes)).toBe(true);
    const rssBefore = process.memoryUsage().rss;
    const report = await fuzz(target, {
      seed: SEED,
      maxCases: MAX_CASES,
      maxMs: MAX_MS,
      parallel: 32,
      waitMs: 10_000,
    });
    console.log(
      `mqtt fuzz: ${report.cases} cases in ${report.ms} ms, ${replay}; outcomes ${JSON.stringify(report.outcomes)}; kinds ${JSON.stringify(report.kinds)}`,
    );
    // Thousands on an idle 2-core machine; a few hundred when seven other suites share it.
    expect(report.cases, replay).toBeGreaterThanOrEqual(200);
    // Every case's connection was closed by the broker once it had read the case: none left behind.
    expect(report.outcomes['still-open'] ?? 0, `connections the broker kept open; ${replay}`).toBe(0);

    // Liveness: a real device connects, publishes at QoS 1 (PUBACK = spooled), and it is stored.
    const stored = await deviceStillStored(
      app,
      () => connectDevice(app, LIVE, { connectTimeout: 10_000 }),
      `cx/v1/ta-lai/${LIVE}/telemetry`,
    );
    expect(stored, `the reading after the fuzz was not stored; ${replay}`).toBe(true);

    // The API still answers, and the broker counted what it refused.
    const admin = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
    const res = await fetch(`${app.apiUrl}/api/ingest/stats`, { headers: { cookie: admin } });
    expect(res.status, replay).toBe(200);
    // Memory sane: every fuzz connection is gone, and nothing of them is kept.
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    expect(rssGrowthMb, `RSS grew ${rssGrowthMb.toFixed(0)} MB; ${replay}`).toBeLessThan(300);
  }, 60_000);
});
