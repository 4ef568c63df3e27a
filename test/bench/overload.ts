/**
 * Goodput under overload (issue #15 item 2, `npm run bench -- --only overload`): the saturated
 * rate is measured first (closed-loop QoS 1, as in e2e), then 2.5× that rate is offered open loop,
 * at QoS 0 and then at QoS 1, by load generators at nice 19 (generatorNice). Printed per second
 * through each overload and its recovery: messages stored, service RSS, the spool backlog and the
 * service's CPU; then the stored rate over the overload window as a
 * share of the saturated rate (aim ≥ 90 %), peak RSS, and whether every sent message was stored.
 * The excess is meant to wait on the senders (services/ingest/inflow-gate.ts), not in the service.
 */
import { join } from 'node:path';
import { E2E_DEFAULTS, phaseLines } from './e2e.ts';
import {
  benchDevices,
  connectAll,
  cpuPct,
  type Figure,
  fmtInt,
  fmtMB,
  fmtPct,
  type Generator,
  procSample,
  readProbe,
  runLoad,
  runServicePhase,
  sqliteCount,
  startBenchService,
  startGenerators,
  waitStored,
  writeBenchService,
} from './harness.ts';

export interface OverloadOptions {
  readonly devices: number;
  readonly generators: number;
  /** Offered rate as a multiple of the saturated one. */
  readonly factor: number;
  readonly overloadMs: number;
  /**
   * The load generators' nice value. Offering 2.5× the saturated rate costs the generators 2.5× the
   * CPU (over a core here), and on a 2-core machine an equal share left the service less CPU than
   * it had when saturated: the figure measured the machine, not the service. Devices have their
   * own hardware; niced, the generators take what the service leaves (the rate they manage is
   * printed).
   */
  readonly generatorNice: number;
}

export const OVERLOAD_DEFAULTS: OverloadOptions = {
  devices: E2E_DEFAULTS.devices,
  generators: E2E_DEFAULTS.generators,
  factor: 2.5,
  overloadMs: 10_000,
  generatorNice: 19,
};

interface Second {
  readonly t: number;
  readonly rssBytes: number;
  readonly spoolDepth: number;
  /** The service's CPU (all threads) since the previous sample, % of one core. */
  readonly cpuPct: number;
  /** The load generators' CPU since the previous sample, % of one core. */
  readonly genCpuPct: number;
}

export async function benchOverload(opts: Partial<OverloadOptions> = {}): Promise<{ figures: Figure[] }> {
  const o = { ...OVERLOAD_DEFAULTS, ...opts };
  const svcFiles = writeBenchService(o.devices);
  const spoolFile = join(svcFiles.dataDir, 'spool', 'spool.sqlite');
  let gens: Generator[] = [];
  const service = await startBenchService(svcFiles);
  const figures: Figure[] = [];
  try {
    gens = await startGenerators(o.generators, { nice: o.generatorNice });
    await connectAll(gens, service.mqttUrl, benchDevices(svcFiles));
    // A fresh service's first store batches wait for its writer threads to start (seconds on a
    // loaded machine): a first closed-loop run, not measured, so the saturated rate is the store's.
    const warm = await runServicePhase(
      service,
      spoolFile,
      gens,
      { qos: 1, window: E2E_DEFAULTS.window, ratePerSec: 0, warmupMs: 1000, measureMs: 4000 },
      0,
    );
    const sat = await runServicePhase(
      service,
      spoolFile,
      gens,
      { qos: 1, window: E2E_DEFAULTS.window, ratePerSec: 0, warmupMs: 2000, measureMs: 6000 },
      warm.storedTotal,
    );
    for (const line of phaseLines('saturated: QoS 1, closed loop', sat, 1)) console.log(line);
    // What the store took over the whole phase, its drain included: on a starved machine the
    // store's answers can all come after the window (0 stored in it, thousands just after).
    const phaseSec = (sat.load.measureTo - sat.load.measureFrom + 2000 + sat.drainMs) / 1000;
    const saturated = Math.max(sat.stored.storedPerSec, (sat.storedTotal - warm.storedTotal) / phaseSec);
    console.log(
      `    saturated rate taken: ${fmtInt(saturated)} msg/s (in the window, or over the phase and its drain)`,
    );
    let storedBefore = sat.storedTotal;
    const serviceDb = join(svcFiles.dataDir, 'canhxa.sqlite');
    const refusedOverload = () =>
      sqliteCount(serviceDb, "SELECT COALESCE(SUM(count), 0) FROM reject_counts WHERE reason = 'overload'");
    let refusedBefore = refusedOverload();
    const offered = Math.round(saturated * o.factor);
    figures.push({
      scenario: 'overload',
      name: 'saturated rate (QoS 1 closed loop), stored msg/s',
      value: fmtInt(saturated),
      note: `offered ${o.factor}× = ${fmtInt(offered)} msg/s in the overload phases`,
    });
    for (const qos of [0, 1] as const) {
      const samples: Second[] = [];
      const t0 = Date.now() + 300;
      // Read from /proc here: a niced generator's own timers fire late under load.
      const sampleGens = () => gens.map((g) => procSample(g.pid));
      let last = procSample(service.pid);
      let lastGens = sampleGens();
      const sampler = setInterval(() => {
        try {
          const now = procSample(service.pid);
          const nowGens = sampleGens();
          samples.push({
            t: now.ts,
            rssBytes: now.rssBytes,
            spoolDepth: sqliteCount(spoolFile, 'SELECT COUNT(*) FROM spool'),
            cpuPct: cpuPct(last, now),
            genCpuPct: nowGens.reduce((n, g, k) => n + cpuPct(lastGens[k]!, g), 0),
          });
          last = now;
          lastGens = nowGens;
        } catch {
          // The service may be between two writes of its spool's header; the next second counts.
        }
      }, 1000);
      const load = await runLoad(
        gens,
        { qos, window: 0, ratePerSec: offered, warmupMs: 1000, measureMs: o.overloadMs - 1000 },
        t0,
      );
      // QoS 0 past the shedding mark is refused and counted (BatchWriter.shedsQos0): the service's
      // reject counters say how many (written within a second).
      await new Promise((r) => setTimeout(r, 1500));
      const refusedSoFar = refusedOverload() - refusedBefore;
      const storedTotal = await waitStored(
        service.probeFile,
        storedBefore + load.sent - refusedSoFar,
        10_000,
        120_000,
      );
      // The last socket reads are taken (and refusals counted) after the senders stop.
      const refused = refusedOverload() - refusedBefore;
      // Two more quiet seconds: the recovery's end.
      await new Promise((r) => setTimeout(r, 2000));
      clearInterval(sampler);
      const durable = readProbe(service.probeFile).durableTs;
      const storedIn = (from: number, to: number) => {
        let n = 0;
        for (const ts of durable) if (ts >= from && ts < to) n++;
        return n;
      };
      console.log(
        `  QoS ${qos}, open loop at ${fmtInt(offered)} msg/s for ${o.overloadMs / 1000} s, then recovery`,
      );
      console.log('    second  phase      stored msg/s   RSS        spool backlog   service CPU');
      let peakRss = 0;
      for (const s of samples) {
        peakRss = Math.max(peakRss, s.rssBytes);
        const sec = Math.round((s.t - t0) / 1000);
        const phase = s.t <= load.measureTo ? 'overload' : 'recovery';
        console.log(
          `    ${String(sec).padStart(6)}  ${phase.padEnd(9)}  ${fmtInt(storedIn(s.t - 1000, s.t)).padStart(12)}   ${fmtMB(s.rssBytes).padStart(9)}  ${fmtInt(s.spoolDepth).padStart(12)}   ${fmtPct(s.cpuPct).padStart(11)}`,
        );
      }
      const inWindow = storedIn(load.measureFrom, load.measureTo);
      const rate = inWindow / ((load.measureTo - load.measureFrom) / 1000);
      const ratio = saturated > 0 ? rate / saturated : Number.NaN;
      const lost = storedBefore + load.sent - refused - storedTotal;
      const inPhase = samples.filter((s) => s.t > load.measureFrom && s.t <= load.measureTo);
      const mean = (f: (s: Second) => number) =>
        inPhase.reduce((n, s) => n + f(s), 0) / Math.max(1, inPhase.length);
      console.log(
        `    sent ${fmtInt(load.sent)} (${fmtInt(load.sentInWindow / ((load.measureTo - load.measureFrom) / 1000))} msg/s in the window)${qos === 1 ? `, acknowledged ${fmtInt(load.acked)}` : ''}; stored in the overload window ${fmtInt(rate)} msg/s = ${(ratio * 100).toFixed(0)} % of saturated; ` +
          `refused and counted (overload) ${fmtInt(refused)}; the rest stored: ${lost <= 0 ? 'yes' : `no, ${fmtInt(lost)} missing`}; peak RSS ${fmtMB(peakRss)}; connection closes ${load.closes}${load.errors.length ? ` (${load.errors.join('; ')})` : ''}`,
      );
      console.log(
        `    in the window: service CPU ${fmtPct(mean((s) => s.cpuPct))} of one core, generators ${fmtPct(mean((s) => s.genCpuPct))} (saturated phase: ${fmtPct(sat.svcCpuPct)} and ${fmtPct(sat.load.genCpuPct)})`,
      );
      figures.push({
        scenario: 'overload',
        name: `QoS ${qos} at ${o.factor}× saturated: stored msg/s (share of saturated)`,
        value: `${fmtInt(rate)} (${(ratio * 100).toFixed(0)} %)`,
        note: `aim ≥ 90 %; peak RSS ${fmtMB(peakRss)}; sent ${fmtInt(load.sent)}, ${fmtInt(refused)} refused and counted, ${lost <= 0 ? 'the rest stored' : `${fmtInt(lost)} neither stored nor counted`}`,
      });
      storedBefore = storedTotal;
      refusedBefore += refused;
    }
    return { figures };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await service.stop();
    svcFiles.remove();
  }
}
