/**
 * `npm run bench [-- --only e2e,noisy]`: every bench scenario in turn, then one summary table.
 * Figures only: nothing here asserts a timing, and vitest never runs it. Each scenario is bounded
 * in count and time and uses loopback addresses only.
 *
 *   store     points/s into SQLite and a real influxd (store-bench.ts)
 *   spool     Spool.append, replay into SqliteStore, RSS with the store down (spool-bench.ts)
 *   e2e       load generators → the service process: msg/s stored, latency, CPU, RSS (e2e.ts),
 *             then the same load against mosquitto (reference-mosquitto.ts) and the ratio
 *   mosquitto only the mosquitto reference
 *   rate      only the fixed 2,000 msg/s QoS 1 phase, ours then mosquitto's, in 3 alternating pairs
 *             (--rate-runs N), and the median CPU ratio (#15)
 *   overload  the saturated rate, then 2.5× it offered at QoS 0 and QoS 1: stored msg/s and RSS per
 *             second through each overload and its recovery, share of saturated, peak RSS (overload.ts)
 *   idle      10,000 idle connections to the service and to mosquitto (idle.ts)
 *   noisy     good devices' latency beside malformed and wrong-password floods (noisy.ts)
 *   profile   CPU profile of the service under the QoS 1 load (profile.ts); --profile-rate 2000 at a fixed rate
 *   probes    the probe runtime against loopback targets, 5 % hanging (probes.ts), then inside
 *             the service beside the MQTT load: probes/min, lag, service CPU and RSS (probes-service.ts)
 *   cameras   one check cycle of 500 stand-in cameras through the onvif probe (cameras.ts)
 *   lorawan   codec decode rate per model, ChirpStack uplinks/s stored end to end (lorawan.ts)
 *   fuzz      seeded malformed MQTT packets against the embedded broker, then a liveness check (fuzz.ts)
 *   reports   monthly and yearly report per format for 500 devices with a year of intervals (reports.ts)
 *   retention the nightly prune and a day's rollup on a 1.9M-row readings file, chunked against one
 *             statement each, and how long store batches written meanwhile waited (retention.ts)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { benchAlertStorm } from './alert-storm.ts';
import { benchCameras } from './cameras.ts';
import { benchE2e, benchFixedRate, E2E_DEFAULTS } from './e2e.ts';
import { benchFuzz } from './fuzz.ts';
import { type Figure, fmtInt, killChildren, shellLimit, sortNum, table } from './harness.ts';
import { benchIdle } from './idle.ts';
import { benchLorawan } from './lorawan.ts';
import { benchNoisy } from './noisy.ts';
import { benchOverload } from './overload.ts';
import { benchProbes } from './probes.ts';
import { benchProbesInService } from './probes-service.ts';
import { benchProfile } from './profile.ts';
import { benchMosquitto, benchMosquittoFixedRate } from './reference-mosquitto.ts';
import { benchReports } from './reports.ts';
import { benchRetention } from './retention.ts';
import { benchSpool } from './spool-bench.ts';
import { benchStores } from './store-bench.ts';

const SCENARIOS = [
  'store',
  'spool',
  'e2e',
  'mosquitto',
  'rate',
  'overload',
  'idle',
  'noisy',
  'profile',
  'probes',
  'lorawan',
  'fuzz',
  'cameras',
  'alerts',
  'reports',
  'retention',
] as const;
type Scenario = (typeof SCENARIOS)[number];
/** What runs without --only: `mosquitto` is already part of e2e. */
const DEFAULT: readonly Scenario[] = [
  'store',
  'spool',
  'e2e',
  'overload',
  'idle',
  'noisy',
  'profile',
  'probes',
  'lorawan',
  'cameras',
  'alerts',
  'reports',
  'retention',
];
/** Upper bounds per scenario; a scenario past its bound is stopped and reported as failed. */
const TIMEOUT_MS: Record<Scenario, number> = {
  store: 180_000,
  spool: 180_000,
  e2e: 420_000,
  mosquitto: 120_000,
  rate: 180_000,
  overload: 420_000,
  idle: 360_000,
  noisy: 180_000,
  profile: 180_000,
  probes: 420_000,
  lorawan: 180_000,
  fuzz: 180_000,
  cameras: 300_000,
  alerts: 120_000,
  reports: 900_000,
  retention: 300_000,
};

const mosquittoOptions = {
  devices: E2E_DEFAULTS.devices,
  generators: E2E_DEFAULTS.generators,
  window: E2E_DEFAULTS.window,
  window0: E2E_DEFAULTS.window0,
  warmupMs: E2E_DEFAULTS.warmupMs,
  measureMs: E2E_DEFAULTS.measureMs,
};
const fixedRateOptions = { ...mosquittoOptions, fixedRatePerSec: E2E_DEFAULTS.fixedRatePerSec };

/**
 * Issue #15's aim at a province's peak: ours ≤ 2× mosquitto's CPU per message (we validate, keep
 * availability and store durably; it only forwards), publish → stored p99 ≤ 10 ms.
 */
function fixedRateRatio(ours: { cpuUsPerMsg: number; p99Ms: number }, ref: { cpuUsPerMsg: number }): Figure {
  const r = ref.cpuUsPerMsg > 0 ? (ours.cpuUsPerMsg / ref.cpuUsPerMsg).toFixed(2) : 'n/a';
  return {
    scenario: 'e2e',
    name: `${E2E_DEFAULTS.fixedRatePerSec.toLocaleString('en-US')} msg/s QoS 1: CPU µs per message, ours / mosquitto (ratio)`,
    value: `${ours.cpuUsPerMsg.toFixed(0)} / ${ref.cpuUsPerMsg.toFixed(0)} (${r})`,
    note: `aim ≤ 2; ours publish→stored p99 ${ours.p99Ms.toFixed(1)} ms (aim ≤ 10 ms)`,
  };
}

const RUNNERS: Record<Scenario, () => Promise<Figure[]>> = {
  async store() {
    const lines = await benchStores();
    return lines.map((l) => {
      const label = l.slice(0, l.indexOf(':'));
      const rate = /([\d,]+) points\/s/.exec(l)?.[1] ?? l;
      return { scenario: 'store', name: `${label} write points/s (batches of 500)`, value: rate };
    });
  },
  spool: async () => (await benchSpool()).figures,
  alerts: async () => (await benchAlertStorm()).figures,
  reports: async () => (await benchReports()).figures,
  retention: async () => (await benchRetention()).figures,
  async e2e() {
    const ours = await benchE2e();
    console.log('  reference: the same load against mosquitto');
    const ref = await benchMosquitto(mosquittoOptions);
    const ratio = (q: 0 | 1) =>
      ref.deliveredPerSec[q] > 0 ? (ours.storedPerSec[q] / ref.deliveredPerSec[q]).toFixed(2) : 'n/a';
    const ratios: Figure[] = ([0, 1] as const).map((q) => ({
      scenario: 'e2e',
      name: `QoS ${q}: ours stored / mosquitto delivered`,
      value: ratio(q),
      note: `${fmtInt(ours.storedPerSec[q])} / ${fmtInt(ref.deliveredPerSec[q])} msg/s`,
    }));
    // The ratio above is of two saturated runs on one 2-core machine, each sharing it with the same
    // generators; CPU per message says what each message costs, whatever the contention.
    const costs: Figure[] = ([0, 1] as const).map((q) => ({
      scenario: 'e2e',
      name: `QoS ${q}: CPU µs per message, ours / mosquitto`,
      value: `${ours.cpuUsPerMsg[q].toFixed(0)} / ${ref.cpuUsPerMsg[q].toFixed(0)}`,
      note: 'ours: whole service process (parse, validate, availability, spool, store); mosquitto: broker + subscriber',
    }));
    const refFixed = await benchMosquittoFixedRate(fixedRateOptions);
    const atRate = fixedRateRatio(ours.fixed, refFixed);
    for (const r of [...ratios, ...costs, atRate]) console.log(`  ${r.name}: ${r.value} (${r.note})`);
    return [...ours.figures, ...ref.figures, ...refFixed.figures, ...ratios, ...costs, atRate];
  },
  mosquitto: async () => (await benchMosquitto(mosquittoOptions)).figures,
  async rate() {
    // Runs on this 2-core machine vary by a fifth and more (single pairs gave ratios from 1.96 to
    // 3.07 in one afternoon): pairs alternate, ours then mosquitto, and the figure is their median.
    const runs = Number(args().values['rate-runs'] ?? 3);
    if (!Number.isInteger(runs) || runs < 1) {
      process.stderr.write(
        'npm run bench: --rate-runs wants a whole number of pairs, 1 or more (e.g. --rate-runs 5).\n',
      );
      process.exit(2);
    }
    const pairs: Array<{ ours: number; ref: number; p99: number }> = [];
    for (let k = 1; k <= runs; k++) {
      console.log(`  pair ${k} of ${runs}`);
      const ours = await benchFixedRate();
      const ref = await benchMosquittoFixedRate(fixedRateOptions);
      pairs.push({ ours: ours.cpuUsPerMsg, ref: ref.cpuUsPerMsg, p99: ours.phase.stored.p99 });
      const f = fixedRateRatio({ cpuUsPerMsg: ours.cpuUsPerMsg, p99Ms: ours.phase.stored.p99 }, ref);
      console.log(`  ${f.name}: ${f.value} (${f.note})`);
    }
    const median = (xs: number[]) => sortNum([...xs])[Math.floor((xs.length - 1) / 2)]!;
    const ratios = pairs.map((p) => p.ours / p.ref);
    const summary: Figure = {
      scenario: 'rate',
      name: `${E2E_DEFAULTS.fixedRatePerSec.toLocaleString('en-US')} msg/s QoS 1: CPU µs per message, ours / mosquitto, median of ${runs} pairs (median ratio)`,
      value: `${median(pairs.map((p) => p.ours)).toFixed(0)} / ${median(pairs.map((p) => p.ref)).toFixed(0)} (${median(ratios).toFixed(2)})`,
      note: `aim ≤ 2; pair ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}; ours publish→stored p99 ${median(pairs.map((p) => p.p99)).toFixed(1)} ms, median (aim ≤ 10 ms)`,
    };
    console.log(`  ${summary.name}: ${summary.value} (${summary.note})`);
    return [summary];
  },
  overload: async () => (await benchOverload()).figures,
  idle: async () => (await benchIdle()).figures,
  noisy: async () => (await benchNoisy()).figures,
  profile: async () =>
    (
      await benchProfile({
        ratePerSec: Number(args().values['profile-rate'] ?? 0),
        ...(args().values['profile-keep'] ? { keepAs: String(args().values['profile-keep']) } : {}),
      })
    ).figures,
  async probes() {
    const alone = await benchProbes();
    console.log('  the same runtime inside the service, beside the MQTT load');
    return [...alone.figures, ...(await benchProbesInService()).figures];
  },
  cameras: async () => (await benchCameras()).figures,
  lorawan: async () => (await benchLorawan()).figures,
  fuzz: async () => (await benchFuzz()).figures,
};

/**
 * `--only a,b`, `--profile-rate N` (the profile scenario at a fixed QoS 1 rate; 0: closed loop) and
 * `--profile-keep FILE` (keep its .cpuprofile, e.g. for Chrome DevTools), `--rate-runs N` (pairs in
 * the rate scenario, 3 by default).
 */
function args() {
  return parseArgs({
    options: {
      only: { type: 'string', multiple: true },
      'profile-rate': { type: 'string' },
      'profile-keep': { type: 'string' },
      'rate-runs': { type: 'string' },
    },
    allowPositionals: false,
  });
}

function selected(): Scenario[] {
  const { values } = args();
  if (!values.only) return [...DEFAULT];
  const names = values.only
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length) {
    process.stderr.write(
      `npm run bench: unknown scenario ${unknown.join(', ')}. Fix: use --only with any of ${SCENARIOS.join(', ')}.\n`,
    );
    process.exit(2);
  }
  return SCENARIOS.filter((s) => names.includes(s));
}

function version(cmd: string, args: string[], re: RegExp): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return re.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'not found';
}

async function main(): Promise<void> {
  const which = selected();
  const started = Date.now();
  console.log('Canh Xã bench');
  console.log(
    `  machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; ` +
      `mosquitto ${version('/usr/sbin/mosquitto', ['-h'], /mosquitto version (\S+)/)}; influxd ${version('/usr/bin/influxd', ['version'], /InfluxDB v?(\S+)/)}; ` +
      `ulimit -n ${shellLimit('-n')} (hard ${shellLimit('-Hn')}); loadavg ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`,
  );
  console.log(`  scenarios: ${which.join(', ')}`);
  const figures: Figure[] = [];
  const failed: string[] = [];
  for (const s of which) {
    // Earlier scenarios leave hundreds of MB of dirty pages; written back during the next one,
    // they would slow its SQLite commits and checkpoints.
    execFileSync('sync');
    console.log(`\n== ${s} ==`);
    const t0 = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`did not finish within ${TIMEOUT_MS[s] / 1000} s`)),
          TIMEOUT_MS[s],
        );
      });
      figures.push(...(await Promise.race([RUNNERS[s](), timeout])));
    } catch (err) {
      failed.push(s);
      console.log(`  FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      figures.push({
        scenario: s,
        name: 'FAILED',
        value: err instanceof Error ? err.message.split('\n')[0]! : String(err),
      });
      killChildren();
    } finally {
      clearTimeout(timer);
    }
    console.log(`  (${s}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  console.log(`\n== summary (${((Date.now() - started) / 1000).toFixed(0)} s in all) ==`);
  console.log(
    table([
      ['scenario', 'figure', 'value', 'note'],
      ...figures.map((f) => [f.scenario, f.name, f.value, f.note ?? '']),
    ]),
  );
  console.log(
    [
      '',
      'Notes:',
      '- One 2-core machine runs the service, the load generators and the reference at once: the figures include their',
      '  contention (generator CPU is printed per phase).',
      '- "stored" = confirmed by the store (and removed from the spool, for what went through it), seen through a diagnostics channel in BatchWriter;',
      '  publish→stored is measured from the ts the generator put in each message.',
      '- QoS 0 "closed loop": runs of QoS 0 publishes per connection, each followed by one QoS 1 fence whose PUBACK paces',
      '  the next run; a bare QoS 0 flood would measure the kernel socket buffers, not the broker.',
      '- Latency in the closed-loop rows is mostly queueing (the service is saturated); the fixed-rate row is the one to',
      '  read for latency; it runs first, on a fresh service. publish→stored includes the batch delay',
      '  (straight to the store: at most 2 ms; through the spool: ingest.batchMaxDelayMs, 5 ms by default).',
    ].join('\n'),
  );
  if (failed.length) {
    console.log(`\nFailed scenarios: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

await main();
// Nothing of ours should keep the loop alive, but a stuck socket must not hold the report back.
process.exit(process.exitCode ?? 0);
