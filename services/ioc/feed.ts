import type { IocConfig, IocEvent, IocWebhookConfig } from '../../config/schema/ioc.ts';
import type { ReadModel } from '../read-model/read-model.ts';
import type { EventBus } from '../shared/bus.ts';
import type { Logger } from '../shared/logger.ts';
import { communeKpis, isoDay, latestCutoff, type UplinksOf } from './kpis.ts';
import { IocOutbox, type OutboxRow, type OutboxStats } from './outbox.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER } from './signature.ts';
import { communeSummary, type IocSources, iocCommunes, stateChanges } from './views.ts';

export interface IocFeedDeps {
  readonly config: IocConfig;
  readonly sources: IocSources;
  readonly bus: EventBus;
  readonly log: Logger;
  /** How often the outbox is looked at when nothing wakes it up. */
  readonly tickMs?: number;
  /** The KPI evidence; without it no `kpi` event is made. */
  readonly readModel?: Pick<ReadModel, 'spans'>;
  /** The farm sensors' uplinks; without, a farm-completeness KPI has no value. */
  readonly uplinksOf?: UplinksOf;
}

export interface WebhookStats extends OutboxStats {
  readonly name: string;
  readonly events: readonly IocEvent[];
  /** Failed delivery attempts since this process started. */
  readonly failedAttempts: number;
}

/** A backlog older than this is a person's problem: logged at error, once until it drains. */
const BACKLOG_ALARM_MS = 3_600_000;
const STATE_PAGE = 500;

/**
 * Pushes the IOC feed to the configured webhooks: every state change of a non-camera device
 * (tailing state_intervals by id, so a crash between a change and its enqueue loses nothing) and
 * every `summaryIntervalSec` a summary per commune. Each event waits in the outbox until its
 * receiver answers 2xx; failures retry with exponential backoff, for ever. At-least-once: a
 * receiver dedupes by the event `id`.
 */
export class IocFeed {
  private readonly outbox: IocOutbox;
  private readonly log: Logger;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly draining = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, number>();
  private readonly alarmed = new Set<string>();
  private readonly abort = new AbortController();
  private offState: (() => void) | undefined;
  private woken = false;
  /** `kpi:<commune>:<day>` ids already known to be in each webhook's outbox (saves a query a tick). */
  private readonly kpiSent = new Set<string>();
  private stopped = false;
  /** The KPI run under way (it reads the store for farm uplinks), so ticks never start a second. */
  private kpisRunning: Promise<void> | null = null;

  constructor(private readonly deps: IocFeedDeps) {
    this.outbox = new IocOutbox(deps.sources.db);
    this.log = deps.log;
  }

  /** Starts delivery. A webhook seen for the first time gets changes from now on (history: GET /changes). */
  start(): void {
    const { db } = this.deps.sources;
    const init = db.prepare(
      'INSERT OR IGNORE INTO ioc_cursors (webhook, state_seq) VALUES (?, (SELECT COALESCE(MAX(id), 0) FROM state_intervals))',
    );
    for (const w of this.webhooks('state')) init.run(w.name);
    // Events of a webhook taken out of the config are kept (never dropped), but nobody delivers them.
    const orphans = db
      .prepare('SELECT webhook, COUNT(*) AS n FROM ioc_outbox WHERE delivered_ts IS NULL GROUP BY webhook')
      .all() as Array<{ webhook: string; n: number }>;
    for (const o of orphans.filter((o) => !this.deps.config.webhooks.some((w) => w.name === o.webhook)))
      this.log.warn(
        { webhook: o.webhook, pending: o.n },
        'ioc outbox holds events of a webhook no longer configured',
      );
    if (this.deps.config.webhooks.length === 0) return;
    this.offState = this.deps.bus.onState(() => this.wake());
    const every = (ms: number, fn: () => void) => this.timers.push(setInterval(fn, ms).unref());
    every(this.deps.tickMs ?? 500, () => this.tick());
    every(this.deps.config.summaryIntervalSec * 1000, () => this.enqueueSummaries());
    every(3_600_000, () => this.outbox.prune(this.now() - this.deps.config.deliveredKeptHours * 3_600_000));
    this.wake();
  }

  /** Stops timers and aborts deliveries in flight; their events stay pending for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.offState?.();
    this.abort.abort();
    await Promise.allSettled([...this.draining.values(), this.kpisRunning]);
  }

  /** Enqueues one summary per commune for every webhook that takes summaries (the timer's job). */
  enqueueSummaries(): void {
    const windowMs = this.deps.config.summaryWindowHours * 3_600_000;
    const now = this.now();
    for (const w of this.webhooks('summary'))
      for (const communeId of iocCommunes(this.deps.sources, w.communes ?? null)) {
        const data = communeSummary(this.deps.sources, communeId, windowMs);
        this.enqueue(w, 'summary', `summary:${communeId}:${now}`, data, now);
      }
    this.wake();
  }

  stats(): WebhookStats[] {
    return this.deps.config.webhooks.map((w) => ({
      name: w.name,
      events: w.events,
      ...this.outbox.stats(w.name),
      failedAttempts: this.failures.get(w.name) ?? 0,
    }));
  }

  /** Runs a tick soon; state changes call this so a change leaves within milliseconds. */
  private wake(): void {
    if (this.woken || this.stopped) return;
    this.woken = true;
    setImmediate(() => {
      this.woken = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.stopped) return;
    try {
      this.pumpStates();
    } catch (err) {
      this.log.error({ err }, 'ioc state changes could not be enqueued');
    }
    try {
      this.pumpKpis();
    } catch (err) {
      this.log.error({ err }, 'ioc kpis could not be enqueued');
    }
    for (const w of this.deps.config.webhooks) {
      if (this.draining.has(w.name)) continue;
      // Set before the drain can finish: `finally` runs in a later microtask, never before this.
      this.draining.set(
        w.name,
        this.drain(w).finally(() => this.draining.delete(w.name)),
      );
    }
  }

  /** Moves new state changes into the outbox and the cursor past them, in one transaction per page. */
  private pumpStates(): void {
    const { db } = this.deps.sources;
    const cursorOf = db.prepare('SELECT state_seq AS seq FROM ioc_cursors WHERE webhook = ?');
    const setCursor = db.prepare('UPDATE ioc_cursors SET state_seq = ? WHERE webhook = ?');
    for (const w of this.webhooks('state')) {
      for (let more = true; more; ) {
        db.transaction(() => {
          const cursor = (cursorOf.get(w.name) as { seq: number }).seq;
          const page = stateChanges(this.deps.sources, {
            cursor,
            limit: STATE_PAGE,
            communes: w.communes ?? null,
          });
          const now = this.now();
          for (const c of page.changes) this.enqueue(w, 'state', `state:${c.seq}`, c, now);
          setCursor.run(page.nextCursor, w.name);
          more = page.hasMore;
        })();
      }
    }
  }

  /**
   * Once the day's cut-off has passed, each commune's KPIs for that day go to every webhook that
   * takes `kpi`, once (the event id names commune and day; the outbox is the record, so a restart
   * after the cut-off sends the one it missed and never a second).
   */
  private pumpKpis(): void {
    if (this.kpisRunning) return;
    this.kpisRunning = this.makeKpis()
      .catch((err: unknown) => this.deps.log.error({ err }, 'IOC KPIs not made; next tick tries again'))
      .finally(() => {
        this.kpisRunning = null;
      });
  }

  private async makeKpis(): Promise<void> {
    const { readModel } = this.deps;
    const hooks = this.webhooks('kpi');
    if (!readModel || hooks.length === 0) return;
    const cutoffTs = latestCutoff(this.now(), this.deps.config.kpiCutoff);
    const day = isoDay(cutoffTs - 1);
    // One computation a commune however many webhooks take it: each reads a year of uplinks.
    const made = new Map<string, Awaited<ReturnType<typeof communeKpis>>>();
    for (const w of hooks)
      for (const communeId of iocCommunes(this.deps.sources, w.communes ?? null)) {
        const id = `kpi:${communeId}:${day}`;
        const key = `${w.name}|${id}`;
        if (this.kpiSent.has(key)) continue;
        if (!this.outbox.has(w.name, id)) {
          const c = this.deps.sources.directory.communes.get(communeId)!;
          const kpis =
            made.get(communeId) ?? (await communeKpis(c, readModel, cutoffTs, this.deps.uplinksOf));
          if (this.stopped) return;
          made.set(communeId, kpis);
          this.enqueue(w, 'kpi', id, kpis, this.now());
          this.wake();
        }
        this.kpiSent.add(key);
      }
  }

  private enqueue(w: IocWebhookConfig, event: IocEvent, id: string, data: unknown, now: number): void {
    this.outbox.enqueue(w.name, event, id, JSON.stringify({ v: 1, id, event, createdTs: now, data }), now);
  }

  /** Delivers a webhook's due events in order until one fails or none is due. */
  private async drain(w: IocWebhookConfig): Promise<void> {
    try {
      for (;;) {
        if (this.stopped) return;
        const row = this.outbox.next(w.name);
        if (!row || row.nextAttemptTs > this.now()) return;
        if (!(await this.deliver(w, row))) return;
      }
    } catch (err) {
      this.log.error({ err, webhook: w.name }, 'ioc outbox failed');
    }
  }

  private async deliver(w: IocWebhookConfig, row: OutboxRow): Promise<boolean> {
    const { timeoutMs } = this.deps.config;
    let error: string;
    try {
      const res = await fetch(w.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'CanhXa-IOC/1',
          [SIGNATURE_HEADER]: sign(w.secret, row.body),
          [TIMESTAMP_HEADER]: String(this.now()),
          [EVENT_HEADER]: row.event,
          [DELIVERY_HEADER]: row.eventId,
        },
        body: row.body,
        // A redirect is a failure, not a hop: the body and its signature go only where configured.
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        this.outbox.delivered(row.id, this.now());
        if (this.alarmed.delete(w.name)) this.log.info({ webhook: w.name }, 'ioc webhook backlog drained');
        return true;
      }
      error = `HTTP ${res.status}`;
    } catch (err) {
      if (this.stopped) return false;
      error =
        (err as Error).name === 'TimeoutError'
          ? `no answer in ${timeoutMs} ms`
          : String((err as Error).cause ?? err);
    }
    this.failed(w, row, error);
    return false;
  }

  private failed(w: IocWebhookConfig, row: OutboxRow, error: string): void {
    const { retryBaseMs, retryMaxMs } = this.deps.config;
    const delay =
      Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(row.attempts, 30)) * (0.8 + 0.4 * Math.random());
    this.outbox.failed(row.id, this.now() + Math.round(delay), error);
    this.failures.set(w.name, (this.failures.get(w.name) ?? 0) + 1);
    this.log.warn(
      {
        webhook: w.name,
        eventId: row.eventId,
        attempts: row.attempts + 1,
        error,
        retryInMs: Math.round(delay),
      },
      'ioc webhook delivery failed',
    );
    if (this.now() - row.createdTs > BACKLOG_ALARM_MS && !this.alarmed.has(w.name)) {
      this.alarmed.add(w.name);
      this.log.error(
        { webhook: w.name, oldestPendingTs: row.createdTs },
        'ioc webhook backlog older than an hour',
      );
    }
  }

  private webhooks(event: IocEvent): IocWebhookConfig[] {
    return this.deps.config.webhooks.filter((w) => w.events.includes(event));
  }

  private now(): number {
    return this.deps.sources.clock();
  }
}
