/**
 * The reference: Debian's mosquitto doing nothing but routing. The same load generator publishes the
 * same messages from the same device ids (anonymous: the reference checks no password), and one
 * mosquitto_sub process counts what is delivered. No validation, no spool, no store: the ceiling
 * for a broker on this machine, to put ours in proportion.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { E2eOptions } from './e2e.ts';
import {
  anonymousDevices,
  at,
  connectAll,
  cpuPct,
  type Figure,
  fmtInt,
  fmtMB,
  fmtMs,
  fmtPct,
  freePort,
  type Generator,
  type LoadPlan,
  percentile,
  procSample,
  RssWatch,
  runLoad,
  sleep,
  startGenerators,
  stopChild,
  track,
} from './harness.ts';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
const MOSQUITTO_SUB = 'mosquitto_sub';
const INSTALL = 'apt-get install -y mosquitto mosquitto-clients';

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly version: string;
  stop(): Promise<void>;
}

/** mosquitto on a free loopback port with a throwaway config: anonymous, no persistence. */
export async function startMosquitto(): Promise<Mosquitto> {
  if (!existsSync(MOSQUITTO_BIN))
    throw new Error(`mosquitto not found at ${MOSQUITTO_BIN}. Install it: ${INSTALL}`);
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // Unlimited queue towards the subscriber, so nothing is dropped silently and the count at the
      // subscriber is what was routed (mosquitto.conf(5): 0 = no maximum; the default is 1000).
      'max_queued_messages 0',
      // The default of 20 unacknowledged QoS 1 messages towards one subscriber bounds delivery by
      // round trips, not by the broker's work; 0 = no maximum.
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = track(spawn(MOSQUITTO_BIN, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${err}`);
    try {
      execFileSync('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', 'bench/ping', '-m', 'x'], {
        stdio: 'ignore',
      });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`mosquitto did not answer on ${port}: ${err}`);
      await sleep(100);
    }
  }
  // `mosquitto -h` prints the version and exits 3.
  const version =
    /mosquitto version (\S+)/.exec(spawnSync(MOSQUITTO_BIN, ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    child,
    pid: child.pid!,
    version,
    stop: async () => {
      await stopChild(child, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** mosquitto_sub on cx/#: one output line ("x\n", 2 bytes) per delivered message, so bytes/2 counts them. */
export async function startCounter(
  port: number,
  qos: 0 | 1,
): Promise<{ count: () => number; pid: number; stop: () => Promise<void> }> {
  const child = track(
    spawn(
      MOSQUITTO_SUB,
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-t',
        'cx/#',
        '-q',
        String(qos),
        '-F',
        'x',
        '-i',
        `bench-counter-${qos}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ),
  );
  let bytes = 0;
  child.stdout!.on('data', (c: Buffer) => (bytes += c.length));
  const count = () => Math.floor(bytes / 2);
  // Ready once a message of ours comes through.
  const deadline = Date.now() + 5000;
  while (count() === 0) {
    execFileSync(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(port), '-t', 'cx/ready', '-m', 'r', '-q', '1'],
      { stdio: 'ignore' },
    );
    if (Date.now() > deadline) throw new Error('mosquitto_sub did not receive the ready message');
    await sleep(100);
  }
  const base = count();
  return { count: () => count() - base, pid: child.pid!, stop: () => stopChild(child, 2000) };
}

/** The reference runs with the same load shape as the e2e run it is compared with. */
export type MosquittoOptions = Pick<
  E2eOptions,
  'devices' | 'generators' | 'window' | 'window0' | 'warmupMs' | 'measureMs'
>;

export interface MosquittoResult {
  readonly figures: Figure[];
  readonly deliveredPerSec: { readonly 0: number; readonly 1: number };
  /** CPU time of mosquitto plus the subscriber per delivered message, µs. */
  readonly cpuUsPerMsg: { readonly 0: number; readonly 1: number };
}

export interface MosquittoFixedRate {
  readonly figures: Figure[];
  readonly deliveredPerSec: number;
  /** mosquitto + mosquitto_sub CPU per delivered message, µs, and their CPU in percent of one core. */
  readonly cpuUsPerMsg: number;
  readonly cpuPct: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
}

/**
 * mosquitto and one QoS 1 subscriber at a fixed rate (issue #15: the rate a province sends, not
 * saturation), the same generators and device count as the service's fixed-rate phase.
 */
export async function benchMosquittoFixedRate(
  o: Pick<E2eOptions, 'devices' | 'generators' | 'window' | 'warmupMs' | 'measureMs' | 'fixedRatePerSec'>,
): Promise<MosquittoFixedRate> {
  const m = await startMosquitto();
  let gens: Generator[] = [];
  try {
    gens = await startGenerators(o.generators);
    await connectAll(gens, m.url, anonymousDevices(o.devices));
    const counter = await startCounter(m.port, 1);
    const plan: LoadPlan = {
      qos: 1,
      window: o.window,
      ratePerSec: o.fixedRatePerSec,
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
    };
    const startAt = Date.now() + 300;
    const from = startAt + plan.warmupMs;
    const sample = () => ({ n: counter.count(), broker: procSample(m.pid), sub: procSample(counter.pid) });
    const a = at(from, sample);
    const b = at(from + plan.measureMs, sample);
    const load = await runLoad(gens, plan, startAt);
    const [sa, sb] = await Promise.all([a, b]);
    await counter.stop();
    const perSec = (sb.n - sa.n) / (plan.measureMs / 1000);
    const cpu = cpuPct(sa.broker, sb.broker) + cpuPct(sa.sub, sb.sub);
    const ack = load.ackLatencyMs;
    const r = {
      deliveredPerSec: perSec,
      cpuUsPerMsg: (cpu / 100 / perSec) * 1e6,
      cpuPct: cpu,
      ackP50Ms: percentile(ack, 0.5),
      ackP99Ms: percentile(ack, 0.99),
    };
    console.log(
      `  mosquitto + QoS 1 subscriber, fixed ${fmtInt(o.fixedRatePerSec)} msg/s: delivered ${fmtInt(perSec)} msg/s; ` +
        `CPU ${fmtPct(cpu)} of one core (broker ${fmtPct(cpuPct(sa.broker, sb.broker))}) = ${r.cpuUsPerMsg.toFixed(0)} µs per message; ` +
        `publish→PUBACK p50 ${fmtMs(r.ackP50Ms)}, p99 ${fmtMs(r.ackP99Ms)}`,
    );
    return {
      ...r,
      figures: [
        {
          scenario: 'mosquitto',
          name: `${fmtInt(o.fixedRatePerSec)} msg/s QoS 1: CPU µs per message`,
          value: r.cpuUsPerMsg.toFixed(0),
          note: `broker + subscriber CPU ${fmtPct(cpu)}; delivered ${fmtInt(perSec)} msg/s`,
        },
      ],
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await m.stop();
  }
}

export async function benchMosquitto(o: MosquittoOptions): Promise<MosquittoResult> {
  const m = await startMosquitto();
  let gens: Generator[] = [];
  const figures: Figure[] = [];
  const delivered: Record<0 | 1, number> = { 0: 0, 1: 0 };
  const cpuUs: Record<0 | 1, number> = { 0: 0, 1: 0 };
  try {
    console.log(`  mosquitto ${m.version} on ${m.url}, pid ${m.pid}`);
    gens = await startGenerators(o.generators);
    const devices = anonymousDevices(o.devices);
    const conn = await connectAll(gens, m.url, devices);
    console.log(
      `  ${conn.connected}/${devices.length} connections in ${fmtMs(conn.ms)}; mosquitto RSS ${fmtMB(procSample(m.pid).rssBytes)}`,
    );
    for (const qos of [0, 1] as const) {
      const counter = await startCounter(m.port, qos);
      const plan: LoadPlan = {
        qos,
        window: qos === 0 ? o.window0 : o.window,
        ratePerSec: 0,
        warmupMs: o.warmupMs,
        measureMs: o.measureMs,
      };
      const startAt = Date.now() + 300;
      const from = startAt + plan.warmupMs;
      const to = from + plan.measureMs;
      const rss = new RssWatch(m.pid);
      const sample = () => ({ n: counter.count(), broker: procSample(m.pid), sub: procSample(counter.pid) });
      const a = at(from, () => {
        rss.reset();
        return sample();
      });
      const b = at(to, sample);
      const load = await runLoad(gens, plan, startAt);
      const [sa, sb] = await Promise.all([a, b]);
      const peak = rss.stop();
      // Let what is still queued reach the subscriber, to check nothing was dropped.
      let last = -1;
      const drainDeadline = Date.now() + 15_000;
      while (counter.count() !== last && Date.now() < drainDeadline) {
        last = counter.count();
        await sleep(500);
      }
      const perSec = (sb.n - sa.n) / (plan.measureMs / 1000);
      delivered[qos] = perSec;
      cpuUs[qos] = ((cpuPct(sa.broker, sb.broker) + cpuPct(sa.sub, sb.sub)) / 100 / perSec) * 1e6;
      const ack = load.ackLatencyMs;
      console.log(
        [
          `  QoS ${qos}, closed loop (${qos === 0 ? `a QoS 1 fence after every ${plan.window}` : `${plan.window} in flight per connection`})`,
          `    sent ${fmtInt(load.sent)} (in window ${fmtInt(load.sentInWindow / (plan.measureMs / 1000))} msg/s), acked ${fmtInt(load.acked)}, ` +
            `delivered to the subscriber ${fmtInt(counter.count())} in all`,
          `    delivered in window: ${fmtInt(perSec)} msg/s; publish→PUBACK${qos === 0 ? ' of the fences' : ''} p50 ${fmtMs(percentile(ack, 0.5))}, p99 ${fmtMs(percentile(ack, 0.99))}`,
          `    mosquitto: CPU ${fmtPct(cpuPct(sa.broker, sb.broker))} of one core, RSS peak ${fmtMB(Math.max(peak, sb.broker.rssBytes))}; ` +
            `mosquitto_sub CPU ${fmtPct(cpuPct(sa.sub, sb.sub))}; generators CPU ${fmtPct(load.genCpuPct)}`,
        ].join('\n'),
      );
      figures.push({
        scenario: 'mosquitto',
        name: `QoS ${qos} delivered msg/s (closed loop)`,
        value: fmtInt(perSec),
        note: `mosquitto CPU ${fmtPct(cpuPct(sa.broker, sb.broker))}, RSS ${fmtMB(Math.max(peak, sb.broker.rssBytes))}; lost ${fmtInt(Math.max(0, load.sent - counter.count()))}`,
      });
      await counter.stop();
    }
    return { figures, deliveredPerSec: delivered, cpuUsPerMsg: cpuUs };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await m.stop();
  }
}
