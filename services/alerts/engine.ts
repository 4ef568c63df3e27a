import type { Config } from '../../config/load.ts';
import type { AlertRule } from '../../config/schema/alerts.ts';
import type { CommuneFile } from '../../config/schema/commune.ts';
import type { IntervalLog, StatusRow } from '../availability/interval-log.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { NotifyDispatcher } from '../notify/dispatcher.ts';
import type { AlertEvent } from '../notify/message.ts';
import type { ReportArchive } from '../reports/archive.ts';
import type { EventBus } from '../shared/bus.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import { type AlertRow, AlertStore } from './alert-store.ts';
import { alertFacts, announce, deviceFacts } from './announce.ts';
import { causeOf, closedEpisodeMatches, conditionSince, due, inScope } from './conditions.ts';
import { failureCounter } from './failure-count.ts';
import { type HamletGroup, type HamletIndex, hamletGroup, hamletIndex } from './hamlet-groups.ts';
import { isFlapping, timedAction, timedChange } from './lifecycle.ts';
import { ReadingsRules } from './readings-rules.ts';
import { ReportAlerts } from './report-alerts.ts';
import { ruleRoles, stepsFor } from './routing.ts';
import { ruleKinds } from './rule-kinds/registry.ts';
import { isSuppressed, suppressionChange } from './suppression.ts';

export interface AlertEngineDeps {
  readonly config: Config;
  readonly db: Db;
  readonly directory: DeviceDirectory;
  readonly intervals: Pick<IntervalLog, 'statuses'>;
  readonly dispatcher: NotifyDispatcher;
  readonly bus: EventBus;
  readonly clock: () => number;
  readonly log: Logger;
  /** Devices in a maintenance window now (services/alerts/windows): their alerts are suppressed. */
  readonly silenced?: (now: number) => ReadonlySet<string>;
  /** Where readings rules (metric-threshold, plot-dry, plot-wet) read; without it they never hold. */
  readonly store?: Store;
  /** The reports archive the report-overdue rules look in; without it they never hold. */
  readonly reportArchive?: Pick<ReportArchive, 'list'>;
}

const NONE: ReadonlySet<string> = new Set();

const PAGE = 1000;

/**
 * Opens, escalates, repeats and resolves alerts. Each tick is one transaction that reads the state
 * intervals past its cursor (flapping, and outages that began and ended while the service was not
 * looking), judges every device's durable status against its commune's rules, steps the timers of
 * the open alerts, queues their notifications and moves the cursor: a crash anywhere repeats the
 * tick, and the unique episode key keeps it from opening anything twice.
 */
export class AlertEngine {
  readonly alerts: AlertStore;
  private timer: NodeJS.Timeout | undefined;
  private readingsTimer: NodeJS.Timeout | undefined;
  private offState: (() => void) | undefined;
  private woken = false;
  /** Findings of the readings rules, refreshed beside the ticks (async: the store may be InfluxDB). */
  readonly readings: ReadingsRules;
  private readonly reports: ReportAlerts | undefined;
  /** A device's own failures since a time (flapping). */
  private readonly failures: (deviceId: string, afterTs: number) => number;

  constructor(private readonly deps: AlertEngineDeps) {
    this.alerts = new AlertStore(deps.db);
    this.failures = failureCounter(deps.db);
    this.readings = new ReadingsRules(deps);
    this.reports =
      deps.reportArchive &&
      new ReportAlerts({
        ...deps,
        alerts: this.alerts,
        archive: deps.reportArchive,
        config: deps.config.service.alerts,
      });
  }

  start(): void {
    this.initCursor();
    this.offState = this.deps.bus.onState(() => this.wake());
    const { tickMs } = this.deps.config.service.alerts;
    this.timer = setInterval(() => this.tick(), tickMs).unref();
    // Readings rules query the store per device: a sensor sends every 10 to 60 minutes, so every
    // six ticks (30 s by default) is prompt enough and keeps a province's store unhurried.
    this.readingsTimer = setInterval(() => void this.refreshAndTick(), tickMs * 6).unref();
    this.wake();
    void this.refreshAndTick();
  }

  /** Reads what the readings rules need, then evaluates; a refresh still running is not doubled. */
  async refreshAndTick(): Promise<void> {
    if (await this.readings.refresh()) this.tick();
  }

  /** First start: changes from now on; the statuses already tell what is wrong now. */
  initCursor(): void {
    this.deps.db
      .prepare(
        'INSERT OR IGNORE INTO alert_cursor (id, state_seq) VALUES (1, (SELECT COALESCE(MAX(id), 0) FROM state_intervals))',
      )
      .run();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.readingsTimer);
    this.offState?.();
  }

  wake(): void {
    if (this.woken) return;
    this.woken = true;
    setImmediate(() => {
      this.woken = false;
      this.tick();
    });
  }

  tick(): void {
    try {
      const now = this.deps.clock();
      // The devices in a maintenance window now: read once a tick (it walks every window), and only
      // when a change or a sweep asks.
      let silenced: ReadonlySet<string> | undefined;
      const silencedNow = () => {
        silenced ??= this.deps.silenced?.(now) ?? NONE;
        return silenced;
      };
      this.deps.db.transaction(() => {
        this.pumpChanges(now, silencedNow);
        this.sweep(now, silencedNow);
        this.reports?.sweep(now);
      })();
      this.deps.dispatcher.wake();
    } catch (err) {
      this.deps.log.error({ err }, 'alert evaluation failed');
    }
  }

  /** Acknowledges an open alert until `untilTs`; false if it is resolved or unknown. */
  acknowledge(id: number, by: string, note: string, untilTs: number): boolean {
    const a = this.alerts.get(id);
    if (!a || a.status === 'resolved') return false;
    this.alerts.update(id, {
      status: 'acknowledged',
      ackedBy: by,
      ackedTs: this.deps.clock(),
      ackNote: note,
      ackUntilTs: untilTs,
    });
    return true;
  }

  /** Resolves an open alert by hand, telling whoever was told; the episode never reopens. */
  resolve(id: number, by: string, note: string): boolean {
    const now = this.deps.clock();
    const done = this.deps.db.transaction(() => {
      const a = this.alerts.get(id);
      if (!a || a.status === 'resolved') return false;
      this.close(a, now, { resolvedBy: by, resolveNote: note });
      return true;
    })();
    if (done) this.deps.dispatcher.wake();
    return done;
  }

  /** Alert rules of a device's commune, by id. */
  private rules(communeId: string): readonly AlertRule[] {
    return this.deps.directory.communes.get(communeId)?.alerts.rules ?? [];
  }

  private pumpChanges(now: number, silencedNow: () => ReadonlySet<string>): void {
    const { db } = this.deps;
    const cursor = (
      db.prepare('SELECT state_seq AS seq FROM alert_cursor WHERE id = 1').get() as { seq: number }
    ).seq;
    const rows = db
      .prepare(
        'SELECT id, device_id AS deviceId, commune_id AS communeId FROM state_intervals WHERE id > ? ORDER BY id LIMIT ?',
      )
      .all(cursor, PAGE) as Array<{ id: number; deviceId: string; communeId: string }>;
    if (rows.length === 0) return;
    const prevOf = db.prepare(
      `SELECT state, reason, params, start_ts AS startTs, end_ts AS endTs FROM state_intervals
       WHERE device_id = ? AND id < ? ORDER BY id DESC LIMIT 1`,
    );
    const { changes, windowMin } = this.deps.config.service.alerts.flapping;
    const openByDevice = this.alerts.openByDevice();
    const silenced = silencedNow();
    for (const r of rows) {
      const d = deviceFacts(this.deps.directory, r.deviceId);
      const rules = this.rules(r.communeId);
      if (!d || rules.length === 0) continue;
      const prev = prevOf.get(r.deviceId, r.id) as
        | {
            state: StatusRow['state'];
            reason: string;
            params: string | null;
            startTs: number;
            endTs: number | null;
          }
        | undefined;
      if (prev && prev.endTs !== null) {
        const interval = { ...prev, endTs: prev.endTs, params: prev.params ? JSON.parse(prev.params) : {} };
        for (const rule of rules) {
          const key = `${rule.id}:${d.id}:${prev.startTs}`;
          if (!closedEpisodeMatches(rule, d, interval) || this.alerts.hasKey(key)) continue;
          const id = this.alerts.insert({
            key,
            communeId: r.communeId,
            ruleId: rule.id,
            kind: rule.kind,
            severity: rule.severity,
            deviceId: d.id,
            state: prev.state,
            reason: prev.reason,
            params: interval.params,
            sinceTs: prev.startTs,
            status: 'resolved',
            behind: [],
            now,
            resolvedTs: prev.endTs,
          });
          this.notify(this.alerts.get(id)!, 'resolve', now);
        }
      }
      const n = this.failures(r.deviceId, now - windowMin * 60_000);
      const watched = rules.some((rule) => rule.kind === 'down-for' && inScope(rule, d));
      if (
        watched &&
        !silenced.has(d.id) &&
        isFlapping(n, changes) &&
        !openByDevice.get(d.id)?.some((a) => a.kind === 'flapping')
      ) {
        const id = this.alerts.insert({
          key: `flapping:${d.id}:${r.id}`,
          communeId: r.communeId,
          ruleId: 'flapping',
          kind: 'flapping',
          severity: 'warning',
          deviceId: d.id,
          state: 'degraded',
          reason: 'flapping',
          params: {},
          sinceTs: now,
          status: 'firing',
          behind: [],
          now,
        });
        const a = this.alerts.get(id)!;
        openByDevice.set(d.id, [...(openByDevice.get(d.id) ?? []), a]);
        this.notify(a, 'fire', now);
      }
    }
    db.prepare('UPDATE alert_cursor SET state_seq = ? WHERE id = 1').run(rows.at(-1)!.id);
  }

  private sweep(now: number, silencedNow: () => ReadonlySet<string>): void {
    const statuses = new Map(this.deps.intervals.statuses().map((s) => [s.deviceId, s]));
    const behind = new Map<string, string[]>();
    for (const s of statuses.values()) {
      const cause = causeOf(s);
      if (cause !== null) behind.set(cause, [...(behind.get(cause) ?? []), s.deviceId]);
    }
    const open = this.alerts.openByDevice();
    for (const list of open.values())
      for (const a of list) if (!this.stillHolds(a, statuses.get(a.deviceId), now)) this.close(a, now, {});
    const stillOpen = this.alerts.openByDevice();
    const silenced = silencedNow();
    // Built at the first opening of the sweep, from the statuses it judges (hamlet-groups.ts).
    let hamlets: HamletIndex | undefined;
    for (const s of statuses.values()) {
      const d = deviceFacts(this.deps.directory, s.deviceId);
      if (!d || silenced.has(d.id)) continue;
      const mine = stillOpen.get(d.id) ?? [];
      // A flapping device gets one alert about its flapping, not one per outage.
      if (mine.some((a) => a.kind === 'flapping')) continue;
      for (const rule of this.rules(s.communeId)) {
        if (mine.some((a) => a.ruleId === rule.id)) continue;
        const episode = this.readings.episode(rule.id, d.id);
        const since = conditionSince(rule, d, s, episode);
        if (since === null || !due(rule, since, now)) continue;
        const key = `${rule.id}:${d.id}:${since}`;
        if (this.alerts.hasKey(key)) continue;
        const id = this.alerts.insert({
          key,
          communeId: s.communeId,
          ruleId: rule.id,
          kind: rule.kind,
          severity: rule.severity,
          deviceId: d.id,
          state: s.state,
          reason: episode?.reason ?? s.reason,
          params: episode?.params ?? s.params,
          sinceTs: since,
          status: 'firing',
          behind: behind.get(d.id) ?? [],
          now,
        });
        hamlets ??= hamletIndex({
          statuses: statuses.values(),
          factsOf: (id) => deviceFacts(this.deps.directory, id),
          rulesOf: (c) => this.rules(c),
        });
        const group = hamletGroup(hamlets, {
          communeId: s.communeId,
          device: d,
          rule,
          sinceTs: since,
          windowMs: this.deps.config.service.alerts.hamletGroupSec * 1000,
          now,
        });
        this.notify(this.alerts.get(id)!, 'fire', now, group);
      }
    }
    for (const a of this.alerts.open()) {
      const change = suppressionChange(
        a,
        isSuppressed(a.deviceId, statuses.get(a.deviceId)?.state, silenced),
        now,
      );
      if (change) this.alerts.update(a.id, change);
      this.step(change ? this.alerts.get(a.id)! : a, behind.get(a.deviceId) ?? [], now);
    }
  }

  /** Whether an open alert's condition still holds; an alert resolves only when the device recovered. */
  private stillHolds(a: AlertRow, s: StatusRow | undefined, now: number): boolean {
    // A report alert has no device: report-alerts.ts resolves it.
    if (ReportAlerts.owns(a)) return true;
    if (!s) return false;
    // In maintenance nobody watches the device: the alert stays, suppressed, until it is seen again.
    if (s.state === 'maintenance') return true;
    // `unknown` is monitoring not knowing (a restart's gap, no evidence yet): never a recovery.
    if (s.state === 'unknown') return true;
    if (a.kind === 'flapping') {
      const { changes, windowMin } = this.deps.config.service.alerts.flapping;
      const n = this.failures(a.deviceId, now - windowMin * 60_000);
      return isFlapping(n, changes) || s.state !== 'up';
    }
    const kind = ruleKinds.get(a.kind);
    if (!kind) return false;
    // A readings rule not yet read since the start: the open alert stands until it is.
    if (kind.evaluate && !this.readings.ready) return true;
    const rule = this.rules(a.communeId).find((r) => r.id === a.ruleId);
    return kind.stillHolds(rule, a.reason, a.sinceTs, s, this.readings.episode(a.ruleId, a.deviceId));
  }

  /** Escalation, repeats, expired acknowledgements; and the list of devices behind a cause. */
  private step(a: AlertRow, behindNow: string[], now: number): void {
    if (behindNow.join() !== a.behind.join() && behindNow.length >= a.behind.length)
      this.alerts.update(a.id, { behind: behindNow });
    const commune = this.deps.directory.communes.get(a.communeId);
    const d = deviceFacts(this.deps.directory, a.deviceId);
    if (!commune || !d) return;
    const t = this.deps.config.service.alerts;
    const c = commune as CommuneFile;
    const action = timedAction(
      a,
      ruleRoles(c, a.ruleId) ? 1 : stepsFor(c, d).length,
      {
        escalateAfterMs: t.escalateAfterMin * 60_000,
        repeatEveryMs: t.repeatEveryMin * 60_000,
        maxRepeats: t.maxRepeats,
      },
      now,
    );
    if (!action) return;
    this.alerts.update(a.id, timedChange(a, action, now));
    this.notify(this.alerts.get(a.id)!, action, now);
  }

  private close(a: AlertRow, now: number, by: { resolvedBy?: string; resolveNote?: string }): void {
    if (this.reports && ReportAlerts.owns(a)) return this.reports.close(a, now, by);
    this.alerts.update(a.id, { status: 'resolved', resolvedTs: now, ...by });
    this.notify(this.alerts.get(a.id)!, 'resolve', now);
  }

  private notify(a: AlertRow, event: AlertEvent, now: number, group?: HamletGroup): void {
    const cfg = this.deps.config.service.alerts;
    const minutesOf = (x: AlertRow) => this.rules(x.communeId).find((r) => r.id === x.ruleId)?.minutes ?? 0;
    const facts = alertFacts(a, this.deps.directory, cfg, minutesOf);
    const n = announce(
      { directory: this.deps.directory, dispatcher: this.deps.dispatcher, config: cfg },
      a,
      event,
      facts,
      now,
      group,
    );
    this.deps.log.info(
      { alertId: a.id, deviceId: a.deviceId, rule: a.ruleId, event, queued: n },
      'alert event',
    );
  }
}
