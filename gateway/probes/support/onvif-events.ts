import { parse as parseUrl } from 'node:url';
import onvif, { type Cam, type CamOptions } from 'onvif';
import type { ProbeEvent, ProbeResult } from '../probe.ts';
import type { Creds } from './onvif-session.ts';

/**
 * A camera's own tamper and signal-loss alarms, read through an ONVIF pull-point subscription
 * (ONVIF Core §9.7) with the `onvif` package's calls: CreatePullPointSubscription, then
 * PullMessages in a loop (the camera holds each up to a minute and answers at once when something
 * happens), Renew before the subscription ends, Unsubscribe at stop.
 *
 * A probe run lasts seconds and a pull waits up to a minute, so the subscription outlives the runs:
 * one watcher per camera, started by the first run that sees the camera advertise the Events
 * service, read by every run after (`troubles()`), ended by the runtime (release) or when no run
 * has read it for `LEASE_MS`. We drive the loop ourselves rather than with the package's `event`
 * listener loop: that one retries a failing camera with no pause and keeps no way to stop a retry.
 */

/** Properties we judge, by topic (prefix removed). Their `State` data item is the alarm. */
const TOPICS: ReadonlyArray<{ match: RegExp; kind: Alarm }> = [
  { match: /^VideoSource\/GlobalSceneChange(\/|$)/, kind: 'tamper' },
  { match: /^VideoSource\/SignalLoss$/, kind: 'signal-loss' },
];
type Alarm = 'tamper' | 'signal-loss';

/** A watcher nobody read for this long ends itself (its target was removed from the config). */
const LEASE_MS = 10 * 60_000;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
const UNSUBSCRIBE_WAIT_MS = 2000;
/** Renew when less than this is left of the subscription (the package asks for PT2M each time). */
const RENEW_BEFORE_MS = 60_000;

interface Active {
  readonly kind: Alarm;
  readonly topic: string;
  readonly source: string;
  readonly sinceTs: number;
}

type Step = 'CreatePullPointSubscription' | 'PullMessages' | 'Renew';

export class CameraEvents {
  private readonly cam: Cam;
  private readonly active = new Map<string, Active>();
  private readonly pending: ProbeEvent[] = [];
  private problem: ProbeResult | undefined;
  private stopped = false;
  private leaseUntil = Date.now() + LEASE_MS;
  private wake: (() => void) | undefined;
  private backoffMs = BACKOFF_MIN_MS;
  private failures = 0;
  private terminationTs = 0;
  private loop: Promise<void> | undefined;

  constructor(creds: Creds, eventsXAddr: string) {
    this.cam = new onvif.Cam({
      hostname: creds.host,
      port: creds.port,
      username: creds.username,
      password: creds.password,
      autoconnect: false,
      // Create and Renew answer at once; PullMessages sets its own 80 s (the camera may hold 60 s).
      timeout: 30_000,
    } as CamOptions);
    // The package addresses its events calls by this map (what GetCapabilities fills in).
    this.cam.uri = { events: parseUrl(eventsXAddr) };
  }

  /** The WS-Security clock offset the probe's session learnt from GetSystemDateAndTime. */
  set timeShift(ms: number | undefined) {
    this.cam.timeShift = ms;
  }

  /** True once stopped (by the runtime, or its lease ran out): a later run starts a new one. */
  get ended(): boolean {
    return this.stopped;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * What the camera reports now, renewing the lease: a degraded result per alarm that is on (signal
   * loss first), or the reason its event answers could not be read. Empty when all is quiet.
   */
  troubles(): { signalLoss?: ProbeResult; tamper?: ProbeResult; problem?: ProbeResult } {
    this.leaseUntil = Date.now() + LEASE_MS;
    const out: { signalLoss?: ProbeResult; tamper?: ProbeResult; problem?: ProbeResult } = {};
    for (const a of this.active.values()) {
      if (a.kind === 'signal-loss' && !out.signalLoss)
        out.signalLoss = degraded('camera-signal-lost', { source: a.source });
      if (a.kind === 'tamper' && !out.tamper) out.tamper = degraded('camera-tampered', { topic: a.topic });
    }
    if (this.problem) out.problem = this.problem;
    return out;
  }

  /** Alarm changes since the last call, as probe events (raised and cleared, at the camera's time). */
  drainEvents(): ProbeEvent[] {
    return this.pending.splice(0);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake?.();
    const sub = this.cam.events.subscription;
    // Best effort: tell the camera to free the pull point (cameras hold a handful). A held pull is
    // answered when the camera ends the subscription; we do not wait for it, nor more than
    // UNSUBSCRIBE_WAIT_MS for a hanging camera's answer (a stopping gateway waits on this).
    if (!sub) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.call<unknown>('Unsubscribe', (cb) => this.cam.unsubscribe(cb, true)).catch(() => {}),
      new Promise<void>((r) => {
        timer = setTimeout(r, UNSUBSCRIBE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let subscribed = false;
    while (!this.stopped) {
      if (Date.now() > this.leaseUntil) return void (await this.stop());
      try {
        if (!subscribed) {
          await this.call('CreatePullPointSubscription', (cb) => this.cam.createPullPointSubscription(cb));
          subscribed = true;
          const t = this.cam.events.terminationTime;
          this.terminationTs = t instanceof Date ? t.getTime() : 0;
          // A new subscription starts with every property's value (ONVIF Core §9.2.2.1 Initialized).
          this.active.clear();
        }
        const data = await this.call<PullAnswer>('PullMessages', (cb) =>
          this.cam.pullMessages({ messageLimit: 20 }, cb),
        );
        if (this.stopped) return;
        this.take(data);
        this.problem = undefined;
        this.failures = 0;
        this.backoffMs = BACKOFF_MIN_MS;
        this.terminationTs = terminationOf(data) ?? this.terminationTs;
        if (this.terminationTs - Date.now() < RENEW_BEFORE_MS) {
          const renewed = await this.call<TimesAnswer>('Renew', (cb) => this.cam.renew({}, cb)).catch(() => {
            subscribed = false;
            return undefined;
          });
          this.terminationTs = terminationOf(renewed) ?? this.terminationTs;
        }
      } catch (err) {
        if (this.stopped) return;
        subscribed = false;
        // One failure may be a subscription the camera dropped (rebooted, expired): subscribe again
        // at once; a second in a row is the camera's answer, a reason until a pull succeeds.
        this.failures++;
        if (this.failures >= 2) this.problem = err instanceof StepError ? err.result : undefined;
        if (this.failures === 1) continue;
        await this.pause(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
      }
    }
  }

  /** Reads the notification messages: each property's State item sets or clears its alarm. */
  private take(data: PullAnswer | undefined): void {
    if (!data || typeof data !== 'object') throw new StepError(malformed('PullMessages'));
    const raw = data.notificationMessage;
    const messages = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const m of messages) {
      const topic = String(m?.topic?._ ?? m?.topic ?? '').replace(/^[\w-]+:/, '');
      const rule = TOPICS.find((t) => t.match.test(topic));
      if (!rule) continue;
      const body = m?.message?.message;
      const state = items(body?.data).get('State');
      if (state === undefined) throw new StepError(malformed('PullMessages'));
      const src = items(body?.source);
      const source = String(
        src.get('Source') ?? src.get('VideoSourceConfigurationToken') ?? src.values().next().value ?? '',
      );
      const at = Date.parse(String(body?.$?.UtcTime ?? ''));
      const ts = Number.isFinite(at) ? at : Date.now();
      const key = `${topic}|${source}`;
      const on = state === true || state === 'true' || state === 1;
      const deleted = body?.$?.PropertyOperation === 'Deleted';
      const before = this.active.get(key);
      if (on && !deleted && !before) {
        this.active.set(key, { kind: rule.kind, topic, source, sinceTs: ts });
        this.pending.push({
          type: `camera-${rule.kind}`,
          severity: 'warning',
          detail: { topic, source, active: true },
          ts,
        });
      } else if ((!on || deleted) && before) {
        this.active.delete(key);
        this.pending.push({
          type: `camera-${rule.kind}`,
          severity: 'info',
          detail: { topic, source, active: false },
          ts,
        });
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      t.unref();
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /**
   * One package call as a promise that settles once: the package may call back twice when its own
   * reading of a malformed answer throws (utils.parseSOAPString catches and calls back again).
   */
  private call<T>(
    step: Step | 'Unsubscribe',
    fn: (cb: (err: Error | null, value?: T) => void) => void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const cb = (err: Error | null, value?: T) => {
        if (settled) return;
        settled = true;
        if (err) reject(new StepError(classify(step, err)));
        else resolve(value as T);
      };
      try {
        fn(cb);
      } catch (err) {
        cb(err as Error);
      }
    });
  }
}

interface TimesAnswer {
  readonly currentTime?: unknown;
  readonly terminationTime?: unknown;
}
interface PullAnswer extends TimesAnswer {
  // biome-ignore lint/suspicious/noExplicitAny: the package's linerase output, checked as it is read.
  notificationMessage?: any;
}

/** When the subscription ends on our clock: the camera's times may be off by its drift. */
function terminationOf(a: TimesAnswer | undefined): number | undefined {
  const { currentTime: c, terminationTime: t } = a ?? {};
  return c instanceof Date && t instanceof Date ? Date.now() + t.getTime() - c.getTime() : undefined;
}

/** A failed step: `result` is its reason, or undefined when it is not the events' to give. */
class StepError extends Error {
  constructor(readonly result: ProbeResult | undefined) {
    super(result?.reason.code ?? 'events step failed');
  }
}

/** `SimpleItem Name=… Value=…` (one or many) as a map. */
// biome-ignore lint/suspicious/noExplicitAny: the package's linerase output, checked as it is read.
function items(node: any): Map<string, unknown> {
  const raw = node?.simpleItem;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const out = new Map<string, unknown>();
  for (const i of list) if (typeof i?.$?.Name === 'string') out.set(i.$.Name, i.$.Value);
  return out;
}

const degraded = (code: string, params: Record<string, string | number>): ProbeResult => ({
  verdict: 'degraded',
  reason: { code, params },
  metrics: {},
});
const malformed = (step: string) => degraded('onvif-malformed', { step });

/**
 * A failed events step. Unreachable or refusing is not the events' verdict to give (the probe's own
 * steps judge reachability and credentials), so only what the camera answered wrongly is a reason.
 */
function classify(step: string, err: Error & { code?: string }): ProbeResult | undefined {
  if (typeof err.code === 'string' && /^E[A-Z]+$/.test(err.code)) return undefined;
  const msg = err.message ?? String(err);
  if (/not ?authori[sz]ed|Digest authentication|Network timeout/i.test(msg)) return undefined;
  if (msg.startsWith('ONVIF SOAP Fault:'))
    return degraded('onvif-fault', {
      step,
      fault: msg.slice('ONVIF SOAP Fault:'.length).trim().slice(0, 120),
    });
  return malformed(step);
}
