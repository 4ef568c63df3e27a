/**
 * Shared pieces of the benches (`npm run bench`): a generated bench commune, the service as a
 * child process with the durable-probe preload, load-generator processes, /proc sampling and
 * formatting. Not run by vitest; nothing here asserts a timing.
 */
import { type ChildProcess, execFileSync, fork, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { DeviceCredentials } from '../../services/auth/device-credentials.ts';
import { deviceType } from '../../services/device-types/registry.ts';
import { openDb } from '../../services/store/db.ts';
import {
  freePort,
  readDeviceSecrets,
  type ServiceProcess,
  startServiceProcess,
} from '../setup/service-process.ts';

export const BENCH_DIR = import.meta.dirname;
export const COMMUNE_ID = 'bench';

/** One line of the final summary. */
export interface Figure {
  readonly scenario: string;
  readonly name: string;
  readonly value: string;
  readonly note?: string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- child processes

const children = new Set<ChildProcess>();

/** Every child a bench starts is killed (by its own pid) if the bench dies first. */
export function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILL every child still running (after a scenario timed out, and at exit). */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

process.once('exit', killChildren);

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(t);
}

/** Kills (by pid) our own child processes whose command line names `marker`. */
function killOwnChildren(marker: string): void {
  const ps = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  for (const line of ps.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m && m[2]!.includes(marker)) process.kill(Number(m[1]), 'SIGKILL');
  }
}

export { freePort };

// ---------------------------------------------------------------- /proc

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export interface ProcSample {
  readonly ts: number;
  /** utime + stime of all threads, in clock ticks. */
  readonly cpuTicks: number;
  readonly rssBytes: number;
  readonly hwmBytes: number;
}

/** A /proc stat file's fields after "(comm)": state is field 3, so utime (14) is [11], stime [12]. */
function statFields(file: string): string[] {
  const stat = readFileSync(file, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function procSample(pid: number): ProcSample {
  const f = statFields(`/proc/${pid}/stat`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return {
    ts: Date.now(),
    cpuTicks: Number(f[11]) + Number(f[12]),
    rssBytes: kb('VmRSS'),
    hwmBytes: kb('VmHWM'),
  };
}

/** utime and stime, in clock ticks, of each thread of a process (by thread id) at one moment. */
export interface ThreadSample {
  readonly ts: number;
  readonly pid: number;
  readonly ticks: ReadonlyMap<number, { readonly user: number; readonly system: number }>;
}

export function threadSample(pid: number): ThreadSample {
  const ticks = new Map<number, { user: number; system: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = statFields(`/proc/${pid}/task/${tid}/stat`);
      ticks.set(Number(tid), { user: Number(f[11]), system: Number(f[12]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return { ts: Date.now(), pid, ticks };
}

/** One thread's CPU between two samples, in percent of one core, user and system apart. */
export interface ThreadCpu {
  readonly userPct: number;
  readonly systemPct: number;
}

/**
 * Each thread's CPU between two samples: the main thread's (the event loop), and the others',
 * busiest first. Node 20 gives its worker threads (SQLite writers, V8's helpers, libuv's pool) no
 * names the kernel sees, so only the main one is known.
 */
export function threadCpu(a: ThreadSample, b: ThreadSample): { main?: ThreadCpu; others: ThreadCpu[] } {
  const pct = (ticks: number) => (ticks / CLK_TCK / ((b.ts - a.ts) / 1000)) * 100;
  let main: ThreadCpu | undefined;
  const others: ThreadCpu[] = [];
  for (const [tid, end] of b.ticks) {
    // A thread missing from the first sample started after it: all its time is in the window.
    const start = a.ticks.get(tid) ?? { user: 0, system: 0 };
    const t = { userPct: pct(end.user - start.user), systemPct: pct(end.system - start.system) };
    if (tid === b.pid) main = t;
    else others.push(t);
  }
  others.sort((x, y) => y.userPct + y.systemPct - (x.userPct + x.systemPct));
  return { main, others };
}

/** CPU use between two samples, in percent of one core (200 = both cores of this machine). */
export function cpuPct(a: ProcSample, b: ProcSample): number {
  return ((b.cpuTicks - a.cpuTicks) / CLK_TCK / ((b.ts - a.ts) / 1000)) * 100;
}

/** Samples a process's RSS every `everyMs` to catch the peak between two marks. */
export class RssWatch {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  /** RSS when the watch began, for what a scenario added to a process that outlives it. */
  readonly startBytes: number;
  constructor(
    private readonly pid: number,
    everyMs = 250,
  ) {
    this.startBytes = this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }
  sample(): number {
    try {
      const rss = procSample(this.pid).rssBytes;
      this.peak = Math.max(this.peak, rss);
      return rss;
    } catch {
      return 0;
    }
  }
  /** Peak since the last reset. */
  reset(): number {
    const p = this.peak;
    this.peak = this.sample();
    return p;
  }
  stop(): number {
    clearInterval(this.timer);
    return this.peak;
  }
}

export function shellLimit(flag: '-n' | '-Hn'): number {
  const out = execFileSync('sh', ['-c', `ulimit ${flag}`])
    .toString()
    .trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

// ---------------------------------------------------------------- numbers

export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function sortNum(a: number[]): number[] {
  return a.sort((x, y) => x - y);
}

/**
 * The RSS peak of the bench's own process, which hosts the gateway in the probes and cameras
 * scenarios, and what the scenario added to it: after other scenarios in the same run the runner
 * still holds some of their memory, so the peak alone reads high (644 MB against 292 alone).
 */
export function ownRssPeak(rss: RssWatch): { value: string; note: string } {
  const peak = rss.reset();
  // Below the start when the runner's heap shrank meanwhile (a collection of earlier scenarios').
  const added = peak - rss.startBytes;
  return {
    value: fmtMB(peak),
    note: `${added < 0 ? '−' : '+'}${fmtMB(Math.abs(added))} against the bench runner, which hosts the gateway, before the scenario`,
  };
}

export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtMB = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
export const fmtKB = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
export const fmtPct = (p: number) => `${p.toFixed(0)}%`;
export const fmtMs = (ms: number) =>
  Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : 'n/a';

export function table(rows: ReadonlyArray<readonly string[]>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, n) => {
      const line = r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
      return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

// ---------------------------------------------------------------- the bench commune

export interface BenchDevice {
  readonly id: string;
  readonly type: string;
  readonly password: string;
  readonly topicBase: string;
  /** Telemetry metric names of its type (what the device type says it reports). */
  readonly metrics: readonly string[];
}

/** Mix of a small commune's devices: type, id prefix, share of the total. */
const MIX: ReadonlyArray<[string, string, number]> = [
  ['camera', 'cam', 0.2],
  ['loudspeaker', 'loa', 0.2],
  ['wifi-ap', 'wifi', 0.2],
  ['uplink', 'net', 0.1],
  ['soil-sensor', 'soil', 0.25],
  ['gateway', 'gw', 0.05],
];

export interface BenchService {
  readonly dir: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly deviceIds: readonly string[];
  readonly types: ReadonlyMap<string, string>;
  remove(): void;
}

/** `count` devices in the MIX with fixed ids (b-cam-00001 …), in a stable order. */
export function deviceSpecs(count: number): Array<{ id: string; type: string }> {
  const out: Array<{ id: string; type: string }> = [];
  MIX.forEach(([type, short, share], k) => {
    const n = k === MIX.length - 1 ? count - out.length : Math.round(count * share);
    for (let i = 1; i <= n; i++) out.push({ id: `b-${short}-${String(i).padStart(5, '0')}`, type });
  });
  return out;
}

/** Devices for a broker that takes anyone (the mosquitto reference): same ids, topics and payloads. */
export function anonymousDevices(count: number): BenchDevice[] {
  return deviceSpecs(count).map(({ id, type }) => ({
    id,
    type,
    password: 'unused',
    topicBase: `cx/v1/${COMMUNE_ID}/${id}`,
    metrics: deviceType(type).metrics,
  }));
}

/**
 * A temp folder with a service file and one commune of `count` devices (deviceSpecs), commissioned
 * in the past so every device is tracked from the first second. `extraYaml` is added at the top
 * level, `mqttYaml` inside `mqtt: { … }` (e.g. "limits: { rejectsPer10s: 100 }").
 */
export function writeBenchService(count: number, extraYaml = '', mqttYaml = ''): BenchService {
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-bench-'));
  const dataDir = join(dir, 'data');
  const communesDir = join(dir, 'communes');
  mkdirSync(communesDir, { recursive: true });
  const specs = deviceSpecs(count);
  const types = new Map(specs.map((d) => [d.id, d.type]));
  const devices = specs.map((d, i) => ({
    id: d.id,
    type: d.type,
    name: `Thiết bị thử ${d.id}`,
    site: `bs-${String(Math.floor(i / 50) + 1).padStart(4, '0')}`,
    installedAt: '2025-01-01',
  }));
  const made = devices.length;
  const siteCount = Math.ceil(made / 50);
  const commune = {
    commune: {
      id: COMMUNE_ID,
      name: 'Xã Thử Tải',
      province: 'Đồng Nai',
      center: { lat: 11.37, lon: 107.37 },
    },
    hamlets: [{ id: 'bh-ap-01', name: 'Ấp 1' }],
    sites: Array.from({ length: siteCount }, (_, i) => ({
      id: `bs-${String(i + 1).padStart(4, '0')}`,
      name: `Điểm ${i + 1}`,
      kind: 'key-point',
      hamlet: 'bh-ap-01',
      location: { lat: 11.37, lon: 107.37 },
    })),
    devices,
  };
  // JSON is YAML: the loader reads it like any commune file.
  writeFileSync(join(communesDir, 'bench.yaml'), JSON.stringify(commune));
  const configFile = join(dir, 'canhxa.yaml');
  writeFileSync(
    configFile,
    [
      `dataDir: ${JSON.stringify(dataDir)}`,
      `communesDir: ${JSON.stringify(communesDir)}`,
      `mqtt: { port: 0${mqttYaml ? `, ${mqttYaml}` : ''} }`,
      'api: { port: 0 }',
      extraYaml,
    ].join('\n'),
  );
  return {
    dir,
    dataDir,
    configFile,
    deviceIds: devices.map((d) => d.id),
    types,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs the service's own DeviceCredentials.ensure() on the data folder before the service starts.
 * Only for large communes: startServiceProcess gives the service 30 s to start, and hashing 10,000
 * new device passwords takes longer than that on this machine. The service's ensure() then finds
 * every credential present and returns the same secrets file.
 */
export async function provisionCredentials(svc: BenchService): Promise<number> {
  const started = performance.now();
  mkdirSync(svc.dataDir, { recursive: true });
  const db = openDb(join(svc.dataDir, 'canhxa.sqlite'));
  try {
    await new DeviceCredentials(db).ensure(svc.deviceIds, join(svc.dataDir, 'device-secrets.json'));
  } finally {
    db.close();
  }
  return performance.now() - started;
}

export function benchDevices(svc: BenchService): BenchDevice[] {
  const secrets = readDeviceSecrets(svc.dataDir);
  return svc.deviceIds.map((id) => {
    const type = svc.types.get(id)!;
    return {
      id,
      type,
      password: secrets.get(id)!,
      topicBase: `cx/v1/${COMMUNE_ID}/${id}`,
      metrics: deviceType(type).metrics,
    };
  });
}

// ---------------------------------------------------------------- the service process

export interface BenchServiceProcess {
  readonly proc: ServiceProcess;
  readonly pid: number;
  readonly probeFile: string;
  readonly mqttUrl: string;
  readonly startMs: number;
  /** SIGTERM and wait (the service flushes its batch and stops cleanly). */
  stop(): Promise<void>;
}

/** The service as `npm start` runs it, with the probe preload; `cpuProfileFile` arms the profiler. */
export async function startBenchService(
  svc: BenchService,
  opts: { cpuProfileFile?: string } = {},
): Promise<BenchServiceProcess> {
  const probeFile = join(svc.dir, 'probe.txt');
  const t0 = performance.now();
  const proc = await startServiceProcess(svc.configFile, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${join(BENCH_DIR, 'service-probe.mjs')}`.trim(),
    CANHXA_BENCH_PROBE_FILE: probeFile,
    ...(opts.cpuProfileFile ? { CANHXA_BENCH_CPU_PROFILE: opts.cpuProfileFile } : {}),
  }).catch((err: unknown) => {
    // startServiceProcess does not kill a service that failed to say "started" in time.
    killOwnChildren(svc.configFile);
    throw err;
  });
  track(proc.child);
  return {
    proc,
    pid: proc.child.pid!,
    probeFile,
    mqttUrl: proc.mqttUrl,
    startMs: performance.now() - t0,
    stop: () => stopChild(proc.child, 20_000),
  };
}

export interface ProbeData {
  /** Epoch ms at which each message was confirmed by the store, and its publish→stored latency. */
  readonly durableTs: number[];
  readonly latencyMs: number[];
  /** Whether each went straight to the store (the direct lane), not through the spool. */
  readonly direct: boolean[];
  readonly elu: Array<{ ts: number; active: number; idle: number }>;
  /** The longest event-loop delay in each probe period (ms), by the period's end. */
  readonly loopDelay: Array<{ ts: number; maxMs: number }>;
  /** Main-thread garbage-collection pauses in each probe period: the longest and their sum (ms). */
  readonly gc: Array<{ ts: number; maxMs: number; sumMs: number }>;
  /** JS heap in use after each full collection the bench asked for (SIGWINCH). */
  readonly heapUsed: Array<{ ts: number; bytes: number }>;
}

export function readProbe(file: string): ProbeData {
  const out: ProbeData = {
    durableTs: [],
    latencyMs: [],
    direct: [],
    elu: [],
    loopDelay: [],
    gc: [],
    heapUsed: [],
  };
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [kind, ts, a, b] = line.split(' ');
    if (kind === 'D') {
      for (const l of a!.split(',')) {
        out.durableTs.push(Number(ts));
        out.latencyMs.push(Number(l));
        out.direct.push(b === 'direct');
      }
    } else if (kind === 'E') out.elu.push({ ts: Number(ts), active: Number(a), idle: Number(b) });
    else if (kind === 'M') out.heapUsed.push({ ts: Number(ts), bytes: Number(a) });
    else if (kind === 'L') out.loopDelay.push({ ts: Number(ts), maxMs: Number(a) });
    else if (kind === 'G') out.gc.push({ ts: Number(ts), maxMs: Number(a), sumMs: Number(b) });
  }
  return out;
}

export interface ProbeWindow {
  readonly stored: number;
  readonly storedPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Share of the stored messages that went straight to the store (no spool row), percent. */
  readonly directPct: number;
  /** Main-thread event-loop utilisation over the window, percent. */
  readonly eluPct: number;
  /** The longest event-loop delay in the window, ms (NaN: no probe period ended in it). */
  readonly loopDelayMaxMs: number;
  /** Main-thread collections in the window: the longest pause (ms) and the share of the time paused (%). */
  readonly gcMaxMs: number;
  readonly gcPct: number;
}

/** Messages the store confirmed in [fromTs, toTs), their latencies and the event-loop use. */
export function probeWindow(p: ProbeData, fromTs: number, toTs: number): ProbeWindow {
  const lat: number[] = [];
  let direct = 0;
  for (let i = 0; i < p.durableTs.length; i++) {
    const t = p.durableTs[i]!;
    if (t >= fromTs && t < toTs) {
      lat.push(p.latencyMs[i]!);
      if (p.direct[i]) direct += 1;
    }
  }
  sortNum(lat);
  // ELU is cumulative: difference the last sample at or before the window and the first at or
  // after it. None inside the window means the event loop never got to the probe's timer.
  let eluPct = Number.NaN;
  const a = p.elu.findLast((e) => e.ts <= fromTs) ?? p.elu[0];
  const b = p.elu.find((e) => e.ts >= toTs) ?? p.elu.at(-1);
  if (a && b && b.ts > a.ts) {
    const busy = b.active - a.active;
    const idle = b.idle - a.idle;
    if (busy + idle > 0) eluPct = (busy / (busy + idle)) * 100;
  }
  let loopDelayMaxMs = Number.NaN;
  for (const l of p.loopDelay)
    if (l.ts > fromTs && l.ts <= toTs + 250)
      loopDelayMaxMs = Number.isNaN(loopDelayMaxMs) ? l.maxMs : Math.max(loopDelayMaxMs, l.maxMs);
  let gcMaxMs = Number.NaN;
  let gcSum = 0;
  for (const g of p.gc)
    if (g.ts > fromTs && g.ts <= toTs + 250) {
      gcMaxMs = Number.isNaN(gcMaxMs) ? g.maxMs : Math.max(gcMaxMs, g.maxMs);
      gcSum += g.sumMs;
    }
  return {
    loopDelayMaxMs,
    gcMaxMs,
    gcPct: Number.isNaN(gcMaxMs) ? Number.NaN : (gcSum / (toTs - fromTs)) * 100,
    stored: lat.length,
    storedPerSec: lat.length / ((toTs - fromTs) / 1000),
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    max: lat.at(-1) ?? Number.NaN,
    directPct: lat.length > 0 ? (direct / lat.length) * 100 : Number.NaN,
    eluPct,
  };
}

/** Waits until the probe has seen `expected` messages stored, or nothing moved for `idleMs`. */
export async function waitStored(
  file: string,
  expected: number,
  idleMs = 5000,
  maxMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = readProbe(file).durableTs.length;
    if (n >= expected) return n;
    if (n !== last) {
      last = n;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > idleMs || Date.now() > deadline) return n;
    await sleep(300);
  }
}

/** Rows in a SQLite file of the running service (WAL lets a reader in while it writes). */
export function sqliteCount(file: string, sql: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(sql).pluck().get() as number) ?? 0;
  } finally {
    db.close();
  }
}

export function sqliteAll<T>(file: string, sql: string): T[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- load generators

/** A publisher.ts child process; one request at a time, answered over IPC. */
export class Generator {
  private constructor(readonly child: ChildProcess) {}

  static async start(): Promise<Generator> {
    const child = track(
      fork(resolve(BENCH_DIR, 'publisher.ts'), [], {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await new Promise<void>((r, reject) => {
      child.once('message', () => r());
      child.once('exit', (code) => reject(new Error(`generator exited (${code}) before it was ready`)));
    });
    return new Generator(child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  request<T = Record<string, unknown>>(
    msg: { cmd: string } & Record<string, unknown>,
    timeoutMs = 180_000,
  ): Promise<T> {
    return new Promise((r, reject) => {
      const onMessage = (m: { re?: string; error?: string }) => {
        if (m.re !== msg.cmd) return;
        cleanup();
        if (m.error) reject(new Error(`generator ${msg.cmd}: ${m.error}`));
        else r(m as T);
      };
      const onExit = (code: number | null) => {
        cleanup();
        reject(new Error(`generator exited (${code}) during ${msg.cmd}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`generator ${msg.cmd}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(msg);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    try {
      await this.request({ cmd: 'close' }, 30_000);
    } catch {
      // It is killed below either way.
    }
    await stopChild(this.child, 2000);
  }
}

/**
 * `nice` (0–19) lowers the generators' CPU priority: on a small machine they then take only what
 * the service leaves, as devices on their own hardware would, instead of an equal share.
 */
export async function startGenerators(k: number, opts: { nice?: number } = {}): Promise<Generator[]> {
  const gens = await Promise.all(Array.from({ length: k }, () => Generator.start()));
  if (opts.nice) for (const g of gens) setPriority(g.pid, opts.nice);
  return gens;
}

/** Round-robin split, so each generator gets a mix of device types. */
export function split<T>(items: readonly T[], k: number): T[][] {
  const out: T[][] = Array.from({ length: k }, () => []);
  items.forEach((it, i) => {
    out[i % k]!.push(it);
  });
  return out;
}

export interface ConnectResult {
  readonly connected: number;
  readonly failed: number;
  readonly errors: string[];
}

export async function connectAll(
  gens: Generator[],
  url: string,
  devices: readonly BenchDevice[],
  concurrency = 50,
): Promise<ConnectResult & { ms: number }> {
  const t0 = performance.now();
  const parts = split(devices, gens.length);
  const results = await Promise.all(
    gens.map((g, i) =>
      g.request<ConnectResult>({ cmd: 'connect', url, devices: parts[i], concurrency }, 600_000),
    ),
  );
  return {
    connected: results.reduce((n, r) => n + r.connected, 0),
    failed: results.reduce((n, r) => n + r.failed, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
    ms: performance.now() - t0,
  };
}

export interface LoadPlan {
  readonly qos: 0 | 1;
  /** In-flight publishes per connection in closed-loop mode. */
  readonly window: number;
  /** Messages per second over all generators; 0 = as fast as the broker takes them (closed loop). */
  readonly ratePerSec: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

export interface LoadResult {
  readonly sent: number;
  readonly acked: number;
  readonly sentInWindow: number;
  readonly ackLatencyMs: number[];
  readonly closes: number;
  readonly errors: string[];
  readonly measureFrom: number;
  readonly measureTo: number;
  readonly genCpuPct: number;
}

/** Runs one load phase on every generator at once; the window is [startAt + warmup, + measure). */
export async function runLoad(
  gens: Generator[],
  plan: LoadPlan,
  startAt = Date.now() + 300,
): Promise<LoadResult> {
  const measureFrom = startAt + plan.warmupMs;
  const measureTo = measureFrom + plan.measureMs;
  const results = await Promise.all(
    gens.map((g) =>
      g.request<Omit<LoadResult, 'measureFrom' | 'measureTo' | 'genCpuPct'> & { cpuInWindowMs: number }>({
        cmd: 'load',
        qos: plan.qos,
        window: plan.window,
        ratePerSec: plan.ratePerSec / gens.length,
        startAt,
        measureFrom,
        measureTo,
        stopAt: measureTo,
      }),
    ),
  );
  return {
    sent: results.reduce((n, r) => n + r.sent, 0),
    acked: results.reduce((n, r) => n + r.acked, 0),
    sentInWindow: results.reduce((n, r) => n + r.sentInWindow, 0),
    ackLatencyMs: sortNum(results.flatMap((r) => r.ackLatencyMs)),
    closes: results.reduce((n, r) => n + r.closes, 0),
    errors: results.flatMap((r) => r.errors).slice(0, 5),
    measureFrom,
    measureTo,
    genCpuPct: (results.reduce((n, r) => n + r.cpuInWindowMs, 0) / plan.measureMs) * 100,
  };
}

// ---------------------------------------------------------------- one measured phase against the service

/** Resolves with what `fn` returns at epoch ms `ts` (at once if it is past). */
export function at<T>(ts: number, fn: () => T | Promise<T>): Promise<T> {
  return new Promise((r) => setTimeout(() => r(fn()), Math.max(0, ts - Date.now())));
}

export interface ServicePhase {
  readonly load: LoadResult;
  readonly stored: ProbeWindow;
  /** Messages the probe saw stored in all, after the phase drained. */
  readonly storedTotal: number;
  readonly svcCpuPct: number;
  /** The same per thread of the service. */
  readonly svcThreads: ReturnType<typeof threadCpu>;
  readonly svcRssEndBytes: number;
  readonly svcRssPeakBytes: number;
  /** Rows still in the spool at the end of the window: the store's backlog. */
  readonly spoolDepthAtEnd: number;
  /** Time after the window until every sent message was stored (or progress stopped). */
  readonly drainMs: number;
}

/**
 * One load phase against the running service: CPU and RSS of the service process over the window,
 * stored messages and publish→stored latency from the probe, then waits until the spool drained.
 * `expectStored` is how many messages the probe must have seen in all once this phase is stored.
 */
export async function runServicePhase(
  svc: BenchServiceProcess,
  spoolFile: string,
  gens: Generator[],
  plan: LoadPlan,
  storedBefore: number,
): Promise<ServicePhase> {
  const rss = new RssWatch(svc.pid);
  const startAt = Date.now() + 300;
  const loadP = runLoad(gens, plan, startAt);
  const from = startAt + plan.warmupMs;
  const to = from + plan.measureMs;
  const a = at(from, () => {
    rss.reset();
    return { s: procSample(svc.pid), threads: threadSample(svc.pid) };
  });
  const b = at(to, () => ({
    s: procSample(svc.pid),
    threads: threadSample(svc.pid),
    depth: sqliteCount(spoolFile, 'SELECT COUNT(*) FROM spool'),
  }));
  const load = await loadP;
  const [sa, sb] = await Promise.all([a, b]);
  const peak = rss.stop();
  const t = Date.now();
  const storedTotal = await waitStored(svc.probeFile, storedBefore + load.sent);
  const drainMs = Math.max(0, Date.now() - t);
  return {
    load,
    stored: probeWindow(readProbe(svc.probeFile), load.measureFrom, load.measureTo),
    storedTotal,
    svcCpuPct: cpuPct(sa.s, sb.s),
    svcThreads: threadCpu(sa.threads, sb.threads),
    svcRssEndBytes: sb.s.rssBytes,
    svcRssPeakBytes: Math.max(peak, sb.s.rssBytes),
    spoolDepthAtEnd: sb.depth,
    drainMs,
  };
}
