/**
 * Noisy neighbour: 100 good devices heartbeat steadily (QoS 1) while one connected device floods
 * malformed documents (reconnecting whenever it is cut off) and another client floods CONNECTs
 * with a wrong password for a real device. Good devices' publish→stored and publish→PUBACK latency
 * is measured without noise, with each kind of noise alone and with both, and the service's reject
 * counters (rate-limited refusals included) are read from its database.
 *
 * CANHXA_BENCH_LIMITS=off runs the same with the per-client rate limits (mqtt.limits) set out of
 * reach, to compare with and without them on the same code.
 */
import { join } from 'node:path';
import {
  at,
  benchDevices,
  connectAll,
  cpuPct,
  type Figure,
  fmtInt,
  fmtMs,
  fmtPct,
  type Generator,
  type LoadResult,
  percentile,
  probeWindow,
  procSample,
  readProbe,
  runLoad,
  sleep,
  sqliteAll,
  startBenchService,
  startGenerators,
  waitStored,
  writeBenchService,
} from './harness.ts';

export interface NoisyOptions {
  readonly goodDevices: number;
  /** Heartbeats per second per good device. */
  readonly perDeviceRate: number;
  readonly badAuthConcurrency: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export const NOISY_DEFAULTS: NoisyOptions = {
  goodDevices: 100,
  perDeviceRate: 5,
  badAuthConcurrency: 8,
  warmupMs: 1000,
  measureMs: 8000,
};

type Noise = 'none' | 'malformed' | 'bad-password' | 'both';

interface PhaseResult {
  readonly noise: Noise;
  readonly load: LoadResult;
  readonly storedP50: number;
  readonly storedP99: number;
  readonly storedPerSec: number;
  readonly svcCpuPct: number;
  readonly eluPct: number;
  readonly malformedSent: number;
  readonly cutOffs: number;
  readonly refusedReconnects: number;
  readonly connectAttempts: number;
  readonly rejects: Map<string, number>;
}

function rejectCounts(dbFile: string): Map<string, number> {
  const rows = sqliteAll<{ k: string; n: number }>(
    dbFile,
    "SELECT source || ':' || reason AS k, SUM(count) AS n FROM reject_counts GROUP BY k",
  );
  return new Map(rows.map((r) => [r.k, r.n]));
}

function diff(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, n] of after) if (n - (before.get(k) ?? 0) > 0) out.set(k, n - (before.get(k) ?? 0));
  return out;
}

export async function benchNoisy(opts: Partial<NoisyOptions> = {}): Promise<{ figures: Figure[] }> {
  const o = { ...NOISY_DEFAULTS, ...opts };
  // Good devices first in the file; then the flooder and the device whose password is tried.
  const limitsOff = process.env.CANHXA_BENCH_LIMITS === 'off';
  const svc = writeBenchService(
    o.goodDevices + 2,
    '',
    limitsOff
      ? 'limits: { rejectsPer10s: 1000000, connectsPer10s: 1000000, connectsPerAddressPer10s: 1000000 }'
      : '',
  );
  const service = await startBenchService(svc);
  const dbFile = join(svc.dataDir, 'canhxa.sqlite');
  const gens: Generator[] = [];
  try {
    const all = benchDevices(svc);
    const flooder = all[o.goodDevices]!;
    const victim = all[o.goodDevices + 1]!;
    const good = all.slice(0, o.goodDevices);
    const [g1, g2, gFlood, gAuth] = await startGenerators(4);
    gens.push(g1!, g2!, gFlood!, gAuth!);
    await connectAll([g1!, g2!], service.mqttUrl, good);
    await connectAll([gFlood!], service.mqttUrl, [flooder]);
    console.log(
      `  rate limits ${limitsOff ? 'OFF (CANHXA_BENCH_LIMITS=off)' : 'on (mqtt.limits defaults)'}; ` +
        `${o.goodDevices} good devices × ${o.perDeviceRate}/s QoS 1 (${fmtInt(o.goodDevices * o.perDeviceRate)} msg/s); ` +
        `flooder ${flooder.id} (malformed, QoS 0 as fast as the socket takes); wrong password for ${victim.id}, ${o.badAuthConcurrency} attempts at a time`,
    );
    const results: PhaseResult[] = [];
    let storedSoFar = 0;
    for (const noise of ['none', 'malformed', 'bad-password', 'both'] as Noise[]) {
      const before = rejectCounts(dbFile);
      const startAt = Date.now() + 300;
      const from = startAt + o.warmupMs;
      const to = from + o.measureMs;
      const sa = at(from, () => procSample(service.pid));
      const sb = at(to, () => procSample(service.pid));
      const floods: Array<Promise<Record<string, number>>> = [];
      if (noise === 'malformed' || noise === 'both')
        floods.push(
          at(startAt, () =>
            gFlood!.request<Record<string, number>>({
              cmd: 'flood-malformed',
              url: service.mqttUrl,
              stopAt: to,
            }),
          ),
        );
      if (noise === 'bad-password' || noise === 'both')
        floods.push(
          at(startAt, () =>
            gAuth!.request<Record<string, number>>({
              cmd: 'flood-badauth',
              url: service.mqttUrl,
              deviceId: victim.id,
              concurrency: o.badAuthConcurrency,
              stopAt: to,
            }),
          ),
        );
      const load = await runLoad(
        [g1!, g2!],
        {
          qos: 1,
          window: 1,
          ratePerSec: o.goodDevices * o.perDeviceRate,
          warmupMs: o.warmupMs,
          measureMs: o.measureMs,
        },
        startAt,
      );
      const floodResults = await Promise.all(floods);
      const [a, b] = await Promise.all([sa, sb]);
      storedSoFar = await waitStored(service.probeFile, storedSoFar + load.sent, 3000);
      // Let the service work through what the flood left in its socket buffers before counting.
      let last = -1;
      let now = rejectCounts(dbFile);
      for (let i = 0; i < 60 && [...now.values()].reduce((x, y) => x + y, 0) !== last; i++) {
        last = [...now.values()].reduce((x, y) => x + y, 0);
        await sleep(500);
        now = rejectCounts(dbFile);
      }
      const w = probeWindow(readProbe(service.probeFile), load.measureFrom, load.measureTo);
      const r: PhaseResult = {
        noise,
        load,
        storedP50: w.p50,
        storedP99: w.p99,
        storedPerSec: w.storedPerSec,
        svcCpuPct: cpuPct(a, b),
        eluPct: w.eluPct,
        malformedSent: floodResults.reduce((n, f) => n + (f.sent ?? 0), 0),
        cutOffs: floodResults.reduce((n, f) => n + (f.cutOffs ?? 0), 0),
        refusedReconnects: floodResults.reduce((n, f) => n + (f.refusedConnects ?? 0), 0),
        connectAttempts: floodResults.reduce((n, f) => n + (f.attempts ?? 0), 0),
        rejects: diff(now, before),
      };
      results.push(r);
      const ack = load.ackLatencyMs;
      console.log(
        [
          `  noise: ${noise}`,
          `    good: sent ${fmtInt(load.sentInWindow)} in window, stored ${fmtInt(w.storedPerSec)} msg/s; publish→stored p50 ${fmtMs(w.p50)}, p99 ${fmtMs(w.p99)}; ` +
            `publish→PUBACK p50 ${fmtMs(percentile(ack, 0.5))}, p99 ${fmtMs(percentile(ack, 0.99))}; connection closes ${load.closes}`,
          `    noise sent: ${fmtInt(r.malformedSent)} malformed messages (flooder cut off ${r.cutOffs}×, ${fmtInt(r.refusedReconnects)} reconnects refused), ` +
            `${fmtInt(r.connectAttempts)} wrong-password CONNECTs; ` +
            `service CPU ${fmtPct(r.svcCpuPct)}, event loop busy ${fmtPct(r.eluPct)}`,
          `    rejects counted by the service: ${r.rejects.size ? [...r.rejects].map(([k, n]) => `${k} ${fmtInt(n)}`).join(', ') : 'none'}`,
        ].join('\n'),
      );
    }
    const total = (m: Map<string, number>) => [...m.values()].reduce((x, y) => x + y, 0);
    return {
      figures: results.map((r) => ({
        scenario: 'noisy',
        name: `good p50 / p99 publish→stored, noise: ${r.noise}${limitsOff ? ' (limits off)' : ''}`,
        value: `${fmtMs(r.storedP50)} / ${fmtMs(r.storedP99)}`,
        note:
          `PUBACK p99 ${fmtMs(percentile(r.load.ackLatencyMs, 0.99))}; ` +
          (r.noise === 'none'
            ? `CPU ${fmtPct(r.svcCpuPct)}`
            : `rejects ${fmtInt(total(r.rejects))} (sent ${fmtInt(r.malformedSent)} bad msgs, ${fmtInt(r.connectAttempts)} bad CONNECTs); CPU ${fmtPct(r.svcCpuPct)}`),
      })),
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await service.stop();
    svc.remove();
  }
}
