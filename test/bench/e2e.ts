/**
 * End-to-end ingest: K load-generator processes, one real MQTT connection per device with its own
 * credentials, against the service run as `npm start` runs it (its own process). Measured:
 * messages/s stored (confirmed by the store, seen through the durable probe), publish→stored and
 * publish→PUBACK latency, CPU and RSS of the service process. Three phases on one service:
 * QoS 0 and QoS 1 as fast as the service takes them, then a fixed 2,000 msg/s at QoS 1.
 */
import { join } from 'node:path';
import {
  benchDevices,
  connectAll,
  type Figure,
  fmtInt,
  fmtMB,
  fmtMs,
  fmtPct,
  type Generator,
  type LoadPlan,
  percentile,
  procSample,
  readProbe,
  runServicePhase,
  type ServicePhase,
  sqliteCount,
  startBenchService,
  startGenerators,
  type ThreadCpu,
  writeBenchService,
} from './harness.ts';

export interface E2eOptions {
  readonly devices: number;
  readonly generators: number;
  /** QoS 1: publishes in flight per connection in the closed-loop phase. */
  readonly window: number;
  /** QoS 0: publishes between two QoS 1 fences per connection (see publisher.ts). */
  readonly window0: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly fixedRatePerSec: number;
  /** Offered QoS 0 rate of the overload phase: well above what the service stores. */
  readonly overloadRatePerSec: number;
  readonly overloadMs: number;
  /** YAML added to the service file, e.g. "ingest: { batchMaxSize: 2000 }" to try a setting. */
  readonly serviceYaml: string;
}

export const E2E_DEFAULTS: E2eOptions = {
  devices: 400,
  generators: 4,
  window: 10,
  window0: 20,
  warmupMs: 2000,
  measureMs: 8000,
  fixedRatePerSec: 2000,
  overloadRatePerSec: 50_000,
  overloadMs: 5000,
  serviceYaml: '',
};

export interface E2eResult {
  readonly figures: Figure[];
  /** Stored messages/s at QoS 0 and QoS 1 (closed loop), for the ratio to mosquitto. */
  readonly storedPerSec: { readonly 0: number; readonly 1: number };
  /** CPU time of the service process (every thread) per stored message, µs, at QoS 0 and 1. */
  readonly cpuUsPerMsg: { readonly 0: number; readonly 1: number };
  /** The fixed-rate QoS 1 phase: CPU µs per stored message and publish→stored p99, ms. */
  readonly fixed: { readonly cpuUsPerMsg: number; readonly p99Ms: number };
}

/** CPU time (percent of one core over the window) per message stored in the phase's window, µs. */
const usPerStored = (p: ServicePhase, cpuPct: number) => (cpuPct / 100 / p.stored.storedPerSec) * 1e6;

/** CPU time of the service process (every thread) per message stored in the phase's window, µs. */
export const cpuUsPerStored = (p: ServicePhase) => usPerStored(p, p.svcCpuPct);

/**
 * Only the fixed-rate QoS 1 phase, on a fresh service (`npm run bench -- --only rate`): what a
 * province's peak costs, quick enough to repeat back to back when comparing two versions.
 */
export async function benchFixedRate(
  opts: Partial<E2eOptions> = {},
): Promise<{ phase: ServicePhase; cpuUsPerMsg: number }> {
  const o = { ...E2E_DEFAULTS, ...opts };
  const svcFiles = writeBenchService(o.devices, o.serviceYaml);
  let gens: Generator[] = [];
  const service = await startBenchService(svcFiles);
  try {
    gens = await startGenerators(o.generators);
    await connectAll(gens, service.mqttUrl, benchDevices(svcFiles));
    const plan: LoadPlan = {
      qos: 1,
      window: o.window,
      ratePerSec: o.fixedRatePerSec,
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
    };
    const spoolFile = join(svcFiles.dataDir, 'spool', 'spool.sqlite');
    const phase = await runServicePhase(service, spoolFile, gens, plan, 0);
    for (const line of phaseLines(`QoS 1, fixed ${fmtInt(o.fixedRatePerSec)} msg/s`, phase, 1))
      console.log(line);
    console.log(`    service CPU per stored message: ${cpuUsPerStored(phase).toFixed(0)} µs`);
    return { phase, cpuUsPerMsg: cpuUsPerStored(phase) };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await service.stop();
    svcFiles.remove();
  }
}

/**
 * The service's CPU per stored message, thread by thread, user + system time: where a message's
 * cost goes (the event loop; the SQLite writers, whose system time is mostly WAL writes; V8's
 * collector helpers), which the process's total hides. Threads under 1 µs a message are left out.
 */
function threadSplit(p: ServicePhase): string {
  const us = (pct: number) => usPerStored(p, pct);
  const fmt = (t: ThreadCpu) => `${us(t.userPct).toFixed(0)} + ${us(t.systemPct).toFixed(0)}`;
  const { main, others } = p.svcThreads;
  const busy = others.filter((t) => us(t.userPct + t.systemPct) >= 1);
  return `event loop ${main ? fmt(main) : '?'}; others ${busy.length ? busy.map(fmt).join(', ') : 'none'}`;
}

const THREAD_SPLIT = 'CPU µs per stored message by thread (user + system)';

export function phaseLines(label: string, p: ServicePhase, qos: 0 | 1): string[] {
  const l = p.load;
  const ack = l.ackLatencyMs;
  return [
    `  ${label}`,
    `    sent ${fmtInt(l.sent)} (in window ${fmtInt(l.sentInWindow)} = ${fmtInt(l.sentInWindow / ((l.measureTo - l.measureFrom) / 1000))} msg/s), ` +
      `acked ${fmtInt(l.acked)}, connection closes ${l.closes}${l.errors.length ? `, errors: ${l.errors.join('; ')}` : ''}`,
    `    stored in window: ${fmtInt(p.stored.stored)} = ${fmtInt(p.stored.storedPerSec)} msg/s; ` +
      `publish→stored p50 ${fmtMs(p.stored.p50)}, p99 ${fmtMs(p.stored.p99)}, max ${fmtMs(p.stored.max)}; ` +
      `${fmtPct(p.stored.directPct)} straight to the store, the rest through the spool`,
    ...(ack.length
      ? [
          `    publish→PUBACK${qos === 0 ? ' of the QoS 1 fences' : ' (stored or spooled)'} p50 ${fmtMs(percentile(ack, 0.5))}, p99 ${fmtMs(percentile(ack, 0.99))}`,
        ]
      : []),
    `    service: CPU ${fmtPct(p.svcCpuPct)} of one core (main-thread event loop busy ${fmtPct(p.stored.eluPct)}, longest delay ${fmtMs(p.stored.loopDelayMaxMs)}, ` +
      `collections ${fmtPct(p.stored.gcPct)} of the time, longest ${fmtMs(p.stored.gcMaxMs)}), ` +
      `RSS end ${fmtMB(p.svcRssEndBytes)}, peak ${fmtMB(p.svcRssPeakBytes)}; spool rows at window end ${fmtInt(p.spoolDepthAtEnd)}`,
    ...(p.stored.storedPerSec > 0 ? [`    ${THREAD_SPLIT}: ${threadSplit(p)}`] : []),
    `    generators: CPU ${fmtPct(l.genCpuPct)} of one core (all generator processes); drained ${fmtMs(p.drainMs)} after the window; ` +
      `stored so far ${fmtInt(p.storedTotal)}`,
  ];
}

export async function benchE2e(opts: Partial<E2eOptions> = {}): Promise<E2eResult> {
  const o = { ...E2E_DEFAULTS, ...opts };
  const figures: Figure[] = [];
  const svcFiles = writeBenchService(o.devices, o.serviceYaml);
  let gens: Generator[] = [];
  const service = await startBenchService(svcFiles);
  try {
    console.log(
      `  service up in ${fmtMs(service.startMs)} (${o.devices} devices; their credentials made by the service's ensure() at first start), pid ${service.pid}`,
    );
    const devices = benchDevices(svcFiles);
    gens = await startGenerators(o.generators);
    const conn = await connectAll(gens, service.mqttUrl, devices);
    const idle = procSample(service.pid);
    console.log(
      `  ${conn.connected}/${devices.length} devices connected in ${fmtMs(conn.ms)} over ${o.generators} generator processes` +
        `${conn.failed ? ` (${conn.failed} failed: ${conn.errors.join('; ')})` : ''}; service RSS ${fmtMB(idle.rssBytes)}`,
    );
    const spoolFile = join(svcFiles.dataDir, 'spool', 'spool.sqlite');
    const phases: Array<[string, LoadPlan]> = [
      // First, on a fresh service: the steady load of a province's peak (about 1,600 msg/s), the
      // row to read for latency. After the saturated phases the heap is several times larger and
      // its collections longer than anything a steady load leaves behind.
      [
        `QoS 1, fixed ${fmtInt(o.fixedRatePerSec)} msg/s`,
        {
          qos: 1,
          window: o.window,
          ratePerSec: o.fixedRatePerSec,
          warmupMs: o.warmupMs,
          measureMs: o.measureMs,
        },
      ],
      [
        `QoS 0, closed loop (a QoS 1 fence after every ${o.window0})`,
        { qos: 0, window: o.window0, ratePerSec: 0, warmupMs: o.warmupMs, measureMs: o.measureMs },
      ],
      [
        `QoS 1, closed loop (${o.window} in flight per connection)`,
        { qos: 1, window: o.window, ratePerSec: 0, warmupMs: o.warmupMs, measureMs: o.measureMs },
      ],
      [
        // Open loop: nothing slows the senders but TCP. Does storing keep going while accepting
        // cannot keep up? (It stopped altogether before the BatchWriter timer fix.)
        `QoS 0, open loop at ${fmtInt(o.overloadRatePerSec)} msg/s (overload)`,
        { qos: 0, window: 0, ratePerSec: o.overloadRatePerSec, warmupMs: 1000, measureMs: o.overloadMs },
      ],
    ];
    const results: ServicePhase[] = [];
    let storedBefore = 0;
    for (const [label, plan] of phases) {
      const p = await runServicePhase(service, spoolFile, gens, plan, storedBefore);
      storedBefore = p.storedTotal;
      results.push(p);
      for (const line of phaseLines(label, p, plan.qos)) console.log(line);
    }
    const sentTotal = results.reduce((n, p) => n + p.load.sent, 0);
    await Promise.all(gens.map((g) => g.close()));
    gens = [];
    await service.stop();
    const storedAll = readProbe(service.probeFile).durableTs.length;
    const rows = sqliteCount(join(svcFiles.dataDir, 'readings.sqlite'), 'SELECT COUNT(*) FROM readings');
    const spoolLeft = sqliteCount(spoolFile, 'SELECT COUNT(*) FROM spool');
    console.log(
      `  after stop: ${fmtInt(sentTotal)} messages sent, ${fmtInt(storedAll)} seen stored by the probe, ` +
        `${fmtInt(rows)} reading rows in SQLite, ${fmtInt(spoolLeft)} left in the spool`,
    );

    const [fixed, q0, q1, over] = results as [ServicePhase, ServicePhase, ServicePhase, ServicePhase];
    const s = 'e2e';
    const ack = (p: ServicePhase, q: number) => fmtMs(percentile(p.load.ackLatencyMs, q));
    figures.push(
      {
        scenario: s,
        name: 'QoS 0 stored msg/s (closed loop)',
        value: fmtInt(q0.stored.storedPerSec),
        note: `service CPU ${fmtPct(q0.svcCpuPct)}, RSS ${fmtMB(q0.svcRssPeakBytes)}`,
      },
      {
        scenario: s,
        name: 'QoS 0 publish→stored p50 / p99',
        value: `${fmtMs(q0.stored.p50)} / ${fmtMs(q0.stored.p99)}`,
        note: 'saturated: queueing included',
      },
      {
        scenario: s,
        name: 'QoS 1 stored msg/s (closed loop)',
        value: fmtInt(q1.stored.storedPerSec),
        note: `service CPU ${fmtPct(q1.svcCpuPct)}, RSS ${fmtMB(q1.svcRssPeakBytes)}`,
      },
      {
        scenario: s,
        name: 'QoS 1 publish→stored p50 / p99',
        value: `${fmtMs(q1.stored.p50)} / ${fmtMs(q1.stored.p99)}`,
        note: 'saturated: queueing included',
      },
      {
        scenario: s,
        name: 'QoS 1 publish→PUBACK p50 / p99',
        value: `${ack(q1, 0.5)} / ${ack(q1, 0.99)}`,
        note: 'saturated',
      },
      {
        scenario: s,
        name: `${fmtInt(o.fixedRatePerSec)} msg/s QoS 1: stored msg/s`,
        value: fmtInt(fixed.stored.storedPerSec),
        note: `service CPU ${fmtPct(fixed.svcCpuPct)}, RSS ${fmtMB(fixed.svcRssPeakBytes)}`,
      },
      {
        scenario: s,
        name: `${fmtInt(o.fixedRatePerSec)} msg/s QoS 1: publish→stored p50 / p99`,
        value: `${fmtMs(fixed.stored.p50)} / ${fmtMs(fixed.stored.p99)}`,
      },
      {
        scenario: s,
        name: `${fmtInt(o.fixedRatePerSec)} msg/s QoS 1: publish→PUBACK p50 / p99`,
        value: `${ack(fixed, 0.5)} / ${ack(fixed, 0.99)}`,
      },
      {
        scenario: s,
        name: `${fmtInt(o.fixedRatePerSec)} msg/s QoS 1: ${THREAD_SPLIT}`,
        value: threadSplit(fixed),
      },
      {
        scenario: s,
        name: `QoS 0 overload (${fmtInt(o.overloadRatePerSec)} msg/s offered): stored msg/s`,
        value: fmtInt(over.stored.storedPerSec),
        note: `spool backlog at window end ${fmtInt(over.spoolDepthAtEnd)}; publish→stored p99 ${fmtMs(over.stored.p99)}`,
      },
      {
        scenario: s,
        name: 'messages sent / stored (all phases)',
        value: `${fmtInt(sentTotal)} / ${fmtInt(storedAll)}`,
        note: `${fmtInt(rows)} reading rows`,
      },
    );
    return {
      figures,
      storedPerSec: { 0: q0.stored.storedPerSec, 1: q1.stored.storedPerSec },
      cpuUsPerMsg: { 0: cpuUsPerStored(q0), 1: cpuUsPerStored(q1) },
      fixed: { cpuUsPerMsg: cpuUsPerStored(fixed), p99Ms: fixed.stored.p99 },
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await service.stop();
    svcFiles.remove();
  }
}
