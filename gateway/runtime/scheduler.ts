import { type AnyProbe, CannotJudgeError, type ProbeEvent, ProbeTimeout } from '../probes/probe.ts';
import type { EventDoc, Reason, StatusDoc, TelemetryDoc, Verdict } from '../probes/wire.ts';
import { Confirmation, type Judged } from './confirmation.ts';
import type { Logger } from './logger.ts';
import { Semaphore } from './semaphore.ts';

/** One device watched by one probe. `config` has passed `probe.configSchema`. */
export interface ProbeTarget {
  readonly deviceId: string;
  readonly communeId: string;
  readonly probe: AnyProbe;
  readonly config: unknown;
  readonly intervalSec: number;
  readonly timeoutMs: number;
  /** Further attempts, at once, when a run's result is down or unknown. */
  readonly retries: number;
  readonly confirmations: number;
}

/** Where results go: the publisher (or a test's list). Must not throw. */
export interface ResultSink {
  status(target: ProbeTarget, doc: StatusDoc): void;
  telemetry(target: ProbeTarget, doc: TelemetryDoc): void;
  event(target: ProbeTarget, doc: EventDoc): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const REAL_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SchedulerOptions {
  readonly targets: readonly ProbeTarget[];
  readonly sink: ResultSink;
  /** Probe runs at once, all targets together. */
  readonly concurrency: number;
  /** Each interval is stretched or shrunk by up to this share (%), so runs do not fall in step. */
  readonly jitterPct: number;
  /** The verdict is published on change and again after this long without one. */
  readonly statusRefreshSec: number;
  readonly log: Logger;
  readonly clock?: () => number;
  readonly timers?: Timers;
  readonly random?: () => number;
}

interface Outcome extends Judged {
  readonly metrics: Readonly<Record<string, number>>;
  readonly events: readonly ProbeEvent[];
}

interface TargetState {
  readonly target: ProbeTarget;
  readonly gate: Confirmation;
  timer: unknown;
  lastStatusMs: number;
  runs: number;
  readonly byReason: Map<string, number>;
  last?: Outcome;
}

export interface TargetStats {
  readonly deviceId: string;
  readonly kind: string;
  readonly verdict: Verdict | null;
  readonly reason: Reason | null;
  readonly runs: number;
  /** Runs per reason code of their final result: the count of each kind of trouble. */
  readonly byReason: Readonly<Record<string, number>>;
}

const LAG_SAMPLES = 4096;

/**
 * Runs every target's probe on its own interval (first run at a random point of the first
 * interval, then interval ± jitter), at most `concurrency` at once. Each attempt gets an
 * AbortSignal and a timeout that the runtime enforces itself: a probe that ignores its signal still
 * frees its slot when the timeout passes and is judged `down / probe-timeout`, so one hanging target
 * never delays the others for longer than its timeout. A probe that throws is `unknown`.
 * Metrics and events go out every run; the status on a confirmed change and as a refresh.
 */
export class Scheduler {
  private readonly opts: SchedulerOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly slots: Semaphore;
  private readonly states: TargetState[];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private readonly lags: number[] = [];
  private lagNext = 0;
  private running = false;
  private totalRuns = 0;
  private maxInUse = 0;

  constructor(opts: SchedulerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ mod: 'gateway.scheduler' });
    this.clock = opts.clock ?? Date.now;
    this.timers = opts.timers ?? REAL_TIMERS;
    this.random = opts.random ?? Math.random;
    this.slots = new Semaphore(opts.concurrency);
    this.states = opts.targets.map((target) => ({
      target,
      gate: new Confirmation(target.confirmations),
      timer: undefined,
      lastStatusMs: 0,
      runs: 0,
      byReason: new Map(),
    }));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const now = this.clock();
    for (const s of this.states) this.schedule(s, now + this.random() * s.target.intervalSec * 1000);
    this.log.info(
      { targets: this.states.length, concurrency: this.opts.concurrency },
      'probe scheduler started',
    );
  }

  /** Stops scheduling, aborts runs in progress, waits for them to end, then releases what probes keep open. */
  async stop(): Promise<void> {
    this.running = false;
    for (const s of this.states) this.timers.clearTimeout(s.timer);
    for (const c of this.controllers) c.abort(new ProbeTimeout(0));
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.states.map((s) => s.target.probe.release?.(s.target.config)));
  }

  private schedule(s: TargetState, dueMs: number): void {
    if (!this.running) return;
    s.timer = this.timers.setTimeout(
      () => {
        const run = this.run(s, dueMs).catch((err) =>
          this.log.error({ err, deviceId: s.target.deviceId }, 'probe run failed'),
        );
        this.inFlight.add(run);
        void run.finally(() => this.inFlight.delete(run));
      },
      Math.max(0, dueMs - this.clock()),
    );
  }

  private async run(s: TargetState, dueMs: number): Promise<void> {
    const release = await this.slots.acquire();
    let outcome: Outcome;
    try {
      if (!this.running) return;
      this.recordLag(this.clock() - dueMs);
      this.maxInUse = Math.max(this.maxInUse, this.slots.inUse);
      outcome = await this.attempts(s.target);
    } finally {
      release();
    }
    this.publish(s, outcome);
    const jitter = 1 + ((this.random() * 2 - 1) * this.opts.jitterPct) / 100;
    // A run that overran its interval is not made up for: the next starts now, not in a burst.
    this.schedule(s, Math.max(dueMs + s.target.intervalSec * 1000 * jitter, this.clock()));
  }

  private async attempts(target: ProbeTarget): Promise<Outcome> {
    const events: ProbeEvent[] = [];
    let outcome: Outcome | undefined;
    for (let i = 0; i <= target.retries && this.running; i++) {
      outcome = await this.attempt(target);
      events.push(...outcome.events);
      if (outcome.verdict === 'up' || outcome.verdict === 'degraded') break;
    }
    return { ...outcome!, events };
  }

  /** One probe call, bounded by the target's timeout whatever the probe does with its signal. */
  private attempt(target: ProbeTarget): Promise<Outcome> {
    const controller = new AbortController();
    this.controllers.add(controller);
    let timer: unknown;
    const timeout = new Promise<Outcome>((resolve) => {
      timer = this.timers.setTimeout(() => {
        controller.abort(new ProbeTimeout(target.timeoutMs));
        resolve(judged('down', { code: 'probe-timeout', params: { timeoutMs: target.timeoutMs } }));
      }, target.timeoutMs);
    });
    const probed = Promise.resolve()
      .then(() => target.probe.probe(target.config, controller.signal))
      .then(
        (r): Outcome => ({
          verdict: r.verdict,
          reason: r.reason,
          metrics: r.metrics,
          events: r.events ?? [],
        }),
        (err: unknown): Outcome => this.cannotJudge(target, err),
      );
    return Promise.race([probed, timeout]).finally(() => {
      this.timers.clearTimeout(timer);
      this.controllers.delete(controller);
    });
  }

  private cannotJudge(target: ProbeTarget, err: unknown): Outcome {
    this.log.warn({ err, deviceId: target.deviceId, kind: target.probe.kind }, 'probe could not judge');
    if (err instanceof CannotJudgeError) return judged('unknown', err.reason);
    const message = err instanceof Error ? err.message : String(err);
    return judged('unknown', { code: 'probe-error', params: { message: message.slice(0, 200) } });
  }

  private publish(s: TargetState, o: Outcome): void {
    const { target } = s;
    const ts = this.clock();
    s.runs++;
    this.totalRuns++;
    s.last = o;
    s.byReason.set(o.reason.code, (s.byReason.get(o.reason.code) ?? 0) + 1);
    if (Object.keys(o.metrics).length > 0) this.opts.sink.telemetry(target, { v: 1, ts, metrics: o.metrics });
    for (const e of o.events)
      this.opts.sink.event(target, {
        v: 1,
        ts: e.ts ?? ts,
        type: e.type,
        severity: e.severity,
        detail: e.detail,
      });
    const changed = s.gate.push(o);
    const current = s.gate.verdict;
    if (!current) return;
    if (changed || ts - s.lastStatusMs >= this.opts.statusRefreshSec * 1000) {
      s.lastStatusMs = ts;
      if (changed)
        this.log.debug(
          { deviceId: target.deviceId, verdict: current.verdict, reason: current.reason.code },
          'verdict changed',
        );
      this.opts.sink.status(target, { v: 1, ts, state: current.verdict, reason: current.reason });
    }
  }

  private recordLag(ms: number): void {
    this.lags[this.lagNext] = Math.max(0, ms);
    this.lagNext = (this.lagNext + 1) % LAG_SAMPLES;
  }

  /** Scheduling lag (due → slot taken) over the last runs, in ms; for the bench and /stats. */
  lagPercentiles(): { p50: number; p99: number; samples: number } {
    const sorted = [...this.lags].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { p50: at(0.5), p99: at(0.99), samples: sorted.length };
  }

  stats(): { runs: number; inUse: number; maxInUse: number; waiting: number; targets: TargetStats[] } {
    return {
      runs: this.totalRuns,
      inUse: this.slots.inUse,
      maxInUse: this.maxInUse,
      waiting: this.slots.waiting,
      targets: this.states.map((s) => ({
        deviceId: s.target.deviceId,
        kind: s.target.probe.kind,
        verdict: s.gate.verdict?.verdict ?? null,
        reason: s.gate.verdict?.reason ?? null,
        runs: s.runs,
        byReason: Object.fromEntries(s.byReason),
      })),
    };
  }
}

function judged(verdict: Verdict, reason: Reason): Outcome {
  return { verdict, reason, metrics: {}, events: [] };
}
