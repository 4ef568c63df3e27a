import type { AlertsConfig, NotifierEntry } from '../../config/schema/alerts.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import { groupMessage } from './group-message.ts';
import { type AckPress, type Notifier, type NotifierInstance, NotifyError } from './notifier.ts';
import { sqliteNotifierState } from './notifier-state.ts';
import { type NotifierHealth, NotifyOutbox, type NotifyRow } from './outbox.ts';
import { notifiers } from './registry.ts';

export interface DispatcherDeps {
  readonly db: Db;
  readonly config: AlertsConfig;
  readonly secrets: Readonly<Record<string, string>>;
  readonly clock: () => number;
  readonly log: Logger;
  /** How often outboxes are looked at when nothing wakes them. */
  readonly tickMs?: number;
  /** Someone pressed the acknowledge button in a provider's app. */
  readonly onPress?: (notifier: string, press: AckPress) => Promise<void>;
}

export interface NotifierStatus extends NotifierHealth {
  readonly name: string;
  readonly kind: string;
  /** Failed attempts since this process started. */
  readonly failedAttempts: number;
  /** Until when the provider asked us to wait (429), if it did. */
  readonly pausedUntilTs: number | null;
}

interface Lane {
  readonly entry: NotifierEntry;
  readonly kind: Notifier;
  readonly instance: NotifierInstance;
  draining: Promise<void> | null;
  lastSendTs: number;
  pausedUntilTs: number;
  failures: number;
}

/**
 * Sends the outbox, one independent lane per configured notifier: a provider that is down, slow
 * or rate-limiting holds only its own lane (its sends time out after `timeoutMs`), never another.
 * Each lane keeps order, spaces sends by its `ratePerMin`, retries with exponential backoff (or
 * exactly the provider's retry_after), and sets aside rows the provider refused for good.
 */
export class NotifyDispatcher {
  readonly outbox: NotifyOutbox;
  private readonly lanes: Lane[];
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private woken = false;
  private stopped = false;
  private listeners: Promise<void>[] = [];

  constructor(private readonly deps: DispatcherDeps) {
    this.outbox = new NotifyOutbox(deps.db);
    const secret = (name: string) => {
      const v = deps.secrets[name];
      if (v === undefined) throw new NotifyError(`secret "${name}" is not set`, { permanent: false });
      return v;
    };
    this.lanes = deps.config.notifiers.map((entry) => {
      const kind = notifiers.get(entry.kind)!;
      return {
        entry,
        kind,
        instance: kind.create(kind.configSchema.parse(entry.config), {
          secret,
          state: sqliteNotifierState(deps.db, entry.name, deps.clock),
          now: deps.clock,
        }),
        draining: null,
        lastSendTs: 0,
        pausedUntilTs: 0,
        failures: 0,
      };
    });
  }

  /** The configured notifiers that reach a user through `field` (or, with null, every alert). */
  entries(): ReadonlyArray<{ entry: NotifierEntry; kind: Notifier; instance: NotifierInstance }> {
    return this.lanes;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.deps.tickMs ?? 250).unref();
    for (const lane of this.lanes) {
      const onPress = this.deps.onPress;
      if (!lane.instance.listen || !onPress) continue;
      this.listeners.push(
        lane.instance
          .listen((p) => onPress(lane.entry.name, p), this.abort.signal)
          .catch((err) =>
            this.deps.log.error({ err, notifier: lane.entry.name }, 'notifier listener stopped'),
          ),
      );
    }
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.abort.abort();
    await Promise.allSettled([...this.lanes.map((l) => l.draining), ...this.listeners]);
  }

  /** Sends soon: the engine calls this after queueing, so a message leaves within milliseconds. */
  wake(): void {
    if (this.woken || this.stopped) return;
    this.woken = true;
    setImmediate(() => {
      this.woken = false;
      this.tick();
    });
  }

  status(): NotifierStatus[] {
    return this.lanes.map((l) => {
      const health = this.outbox.health(l.entry.name);
      return {
        name: l.entry.name,
        kind: l.entry.kind,
        ...health,
        lastError: health.lastError === null ? null : this.sanitise(health.lastError),
        failedAttempts: l.failures,
        pausedUntilTs: l.pausedUntilTs > this.deps.clock() ? l.pausedUntilTs : null,
      };
    });
  }

  /** An error as people may read it: no secret value, no control characters, bounded. */
  private sanitise(error: string): string {
    let out = error.replace(/\p{Cc}+/gu, ' ');
    for (const v of Object.values(this.deps.secrets))
      if (v.length >= 4) out = out.split(v).join('[redacted]');
    return out.slice(0, 300);
  }

  private tick(): void {
    if (this.stopped) return;
    for (const lane of this.lanes) {
      if (lane.draining) continue;
      lane.draining = this.drain(lane).finally(() => {
        lane.draining = null;
      });
    }
  }

  private async drain(lane: Lane): Promise<void> {
    const name = lane.entry.name;
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.deps.clock();
        const row = this.outbox.next(name, now);
        if (!row || row.nextAttemptTs > now || lane.pausedUntilTs > now) return;
        // Spacing by the configured rate: a storm queues here instead of hitting the provider's 429.
        if (now - lane.lastSendTs < 60_000 / lane.entry.ratePerMin) return;
        lane.lastSendTs = now;
        if (!(await this.send(lane, row))) return;
      }
    } catch (err) {
      this.deps.log.error({ err, notifier: name }, 'notify outbox failed');
    }
  }

  private async send(lane: Lane, head: NotifyRow): Promise<boolean> {
    const { timeoutMs, retryBaseMs, retryMaxMs } = this.deps.config;
    // A hamlet's alerts to one person leave as one message; each row keeps the one receipt.
    const rows = this.outbox.groupOf(head, this.deps.clock());
    const row = rows[0] ?? head;
    try {
      const receipt = await lane.instance.send(
        groupMessage(
          rows.map((r) => r.message),
          lane.kind.maxLength,
        ),
        { address: row.address, username: row.username },
        AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)]),
      );
      const now = this.deps.clock();
      this.deps.db.transaction(() => {
        for (const r of rows) this.outbox.sent(r.id, receipt.providerId, now);
      })();
      return true;
    } catch (err) {
      if (this.stopped) return false;
      const raw = err instanceof NotifyError ? err : new NotifyError(String((err as Error).message ?? err));
      // A provider may echo what it was sent: the reason kept and shown never holds a secret.
      const e = Object.assign(raw, { message: this.sanitise(raw.message) });
      const now = this.deps.clock();
      const backoff =
        Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(row.attempts, 30)) * (0.8 + 0.4 * Math.random());
      const delay = e.retryAfterMs ?? Math.round(backoff);
      if (e.retryAfterMs !== undefined) lane.pausedUntilTs = now + e.retryAfterMs;
      lane.failures++;
      this.deps.db.transaction(() => {
        for (const r of rows) this.outbox.failed(r.id, now + delay, e.message, e.permanent, now);
      })();
      this.deps.log.warn(
        {
          notifier: lane.entry.name,
          alertId: row.alertId,
          attempts: row.attempts + 1,
          error: e.message,
          permanent: e.permanent,
          retryInMs: delay,
        },
        'notification not sent',
      );
      // A permanent refusal concerns that one row: the lane goes on with the next.
      return e.permanent;
    }
  }
}
