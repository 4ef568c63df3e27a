import type { DeviceDirectory, DeviceInfo } from '../inventory/device-directory.ts';
import type { Reason, ReasonCode } from '../protocol/reasons.ts';
import type { StatusState } from '../protocol/verdicts.ts';
import type { Logger } from '../shared/logger.ts';
import type { IntervalLog, MaintenanceChange } from './interval-log.ts';
import type { ServiceRuns } from './service-runs.ts';
import type { DeviceState, ReasonParams, StateChange } from './states.ts';

interface Live {
  readonly info: DeviceInfo;
  state: DeviceState;
  reason: string;
  params: ReasonParams;
  sinceTs: number;
  lastHeardTs: number | null;
  /** Lateness is measured from max(lastHeardTs, watchFromTs): a restart or an uplink recovery restarts the clock. */
  watchFromTs: number;
  /**
   * The last verdict of an adapter or gateway watching this device, until it says `up`. The
   * device's own sign of life outranks `down` and `unknown` (and clears them); `degraded` stays.
   */
  verdict: { readonly state: 'down' | 'degraded' | 'unknown'; readonly reason: Reason } | null;
  /** False until the commissioning date: no interval is written before it. */
  tracked: boolean;
  /**
   * Why it is up by its own evidence (`heartbeat`, `message`), kept while an upstream's
   * degradation shows it `degraded`, so it returns to that when the upstream recovers.
   */
  upReason: ReasonCode;
}

export interface AvailabilityDeps {
  readonly directory: DeviceDirectory;
  readonly intervals: IntervalLog;
  readonly runs: ServiceRuns;
  readonly clock: () => number;
  readonly checkIntervalMs: number;
  readonly aliveIntervalMs: number;
  readonly onChange: (change: StateChange) => void;
  /** Last-heard times, batched per ingest flush, for live dashboards. */
  readonly onHeard?: (rows: ReadonlyArray<{ deviceId: string; communeId: string; ts: number }>) => void;
  readonly log: Logger;
}

/** What a device is doing now, for the API. */
export type LiveView = Pick<Live, 'state' | 'reason' | 'params' | 'sinceTs' | 'lastHeardTs'>;

/**
 * Turns heartbeats, last wills and gateway verdicts into per-device state intervals. Liveness is
 * per device: late after heartbeatIntervalSec + graceSec of silence. A device whose upstreams
 * (`dependsOn`, else its site's uplink) are all down is `unreachable`, not `down`: one root cause,
 * one alert.
 */
export class AvailabilityEngine {
  private readonly deps: AvailabilityDeps;
  private readonly live = new Map<string, Live>();
  private readonly dependents = new Map<string, string[]>();
  private heardDirty = new Map<
    string,
    { deviceId: string; ts: number; heartbeatTs?: number; heartbeat?: unknown }
  >();
  private timers: NodeJS.Timeout[] = [];

  constructor(deps: AvailabilityDeps) {
    this.deps = deps;
  }

  /**
   * Rebuilds state from the store, records the service's own downtime as unknown, puts the devices
   * a person left in maintenance back in it after that gap, starts timers.
   */
  start(): void {
    const now = this.deps.clock();
    const { previousAliveTs } = this.deps.runs.begin(now);
    const saved = new Map(this.deps.intervals.statuses().map((r) => [r.deviceId, r]));
    const maintenance = this.deps.intervals.maintenances();
    for (const info of this.deps.directory.all()) {
      const row = saved.get(info.id);
      const live: Live = {
        info,
        state: row?.state ?? 'unknown',
        reason: row?.reason ?? 'not-commissioned',
        params: row?.params ?? {},
        sinceTs: row?.sinceTs ?? 0,
        lastHeardTs: row?.lastHeardTs ?? null,
        watchFromTs: now,
        verdict: null,
        tracked: row !== undefined,
        upReason: 'message',
      };
      this.live.set(info.id, live);
      for (const up of info.upstreamIds)
        this.dependents.set(up, [...(this.dependents.get(up) ?? []), info.id]);
      if (row && row.state !== 'unknown') {
        // Whatever the device did while we were not watching is unknown, from our last sign of life.
        this.transition(
          live,
          'unknown',
          'service-restart',
          {},
          Math.max(previousAliveTs ?? now, row.sinceTs),
        );
      }
      // Maintenance is a person's decision and outlives the process; what happened during the gap
      // stays unknown, but from now on the device is not watched for lateness.
      const m = maintenance.get(info.id);
      // A planned end that passed while the service was down ends it now (the gap stays unknown).
      if (m && m.untilTs !== null && m.untilTs <= now) this.deps.intervals.dropMaintenance(info.id);
      else if (row && m) this.transition(live, 'maintenance', 'maintenance', {}, now);
    }
    this.commissionDue(now);
    this.timers.push(setInterval(() => this.check(), this.deps.checkIntervalMs).unref());
    this.timers.push(setInterval(() => this.markAlive(), this.deps.aliveIntervalMs).unref());
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.flushHeard();
    this.deps.runs.end(this.deps.clock());
  }

  /**
   * A heartbeat or any other message from the device itself (or relayed as its own, as a LoRa
   * gateway relays a sensor's uplink): proof of life. Readings an adapter sends *about* a device
   * are not, and do not come here (services/ingest/handlers).
   */
  heard(deviceId: string, ts: number, heartbeat?: unknown): void {
    const live = this.live.get(deviceId);
    if (!live) return;
    const dirty = this.markHeard(deviceId, live, ts);
    if (heartbeat !== undefined) {
      dirty.heartbeatTs = ts;
      dirty.heartbeat = heartbeat;
    }
    if (!live.tracked || live.state === 'maintenance') return;
    if (live.verdict?.state === 'degraded')
      return this.transition(live, 'degraded', live.verdict.reason.code, live.verdict.reason.params, ts);
    live.verdict = null;
    if (live.state !== 'up')
      this.transition(live, 'up', heartbeat !== undefined ? 'heartbeat' : 'message', {}, ts);
  }

  /** Notes the time the device was last heard from, to be written with the next batch. */
  private markHeard(deviceId: string, live: Live, ts: number) {
    live.lastHeardTs = ts;
    const dirty = this.heardDirty.get(deviceId) ?? { deviceId, ts };
    dirty.ts = ts;
    this.heardDirty.set(deviceId, dirty);
    return dirty;
  }

  /**
   * A status document: `online`/`offline` from the device (or its last will), or the verdict of an
   * adapter or gateway watching it. `unknown` means monitoring is broken, not the device: the
   * device shows `unknown` with the adapter's reason until an `up` or its own sign of life.
   */
  status(deviceId: string, state: StatusState, ts: number, reason?: Reason): void {
    const live = this.live.get(deviceId);
    if (!live) return;
    if (state === 'online') return this.heard(deviceId, ts);
    if (state === 'offline') {
      // Sleepy sensors drop their link between reports by design; only a missed window counts.
      if (live.info.type.sleepy || !live.tracked || live.state === 'maintenance') return;
      return this.goDown(live, reason?.code === 'last-will' ? 'last-will' : 'device-offline', {}, ts);
    }
    if (state === 'up') {
      live.verdict = null;
      return this.heard(deviceId, ts);
    }
    const why: Reason = reason ?? { code: 'reporter-verdict', params: {} };
    live.verdict = { state, reason: why };
    // A degraded verdict is the device answering, badly: as much a sign of life as `up`. Without
    // it a camera judged covered for longer than its window was called late, then degraded again
    // at the next refresh, and so on (the demo's covered camera flapped every few minutes).
    if (state === 'degraded') this.markHeard(deviceId, live, ts);
    if (!live.tracked || live.state === 'maintenance') return;
    if (state === 'down') this.goDown(live, why.code, why.params, ts);
    else this.transition(live, state, why.code, why.params, ts);
  }

  /**
   * Puts a device in or out of maintenance (set by a technician, `setBy` their username). Kept in
   * the database with the interval, so it survives restarts and takeovers until taken off.
   */
  setMaintenance(
    deviceId: string,
    on: boolean,
    setBy: string | null = null,
    plan: { readonly reason?: string | null; readonly untilTs?: number | null } = {},
  ): void {
    const live = this.live.get(deviceId);
    if (!live?.tracked) return;
    const now = this.deps.clock();
    if (on && live.state === 'maintenance')
      // Already in it (a new reason or end): the interval goes on, only the record is rewritten.
      this.deps.intervals.recordMaintenance(live.info.id, live.info.communeId, { setBy, ...plan }, now);
    else if (on) this.transition(live, 'maintenance', 'maintenance', {}, now, { set: { setBy, ...plan } });
    else if (live.state === 'maintenance') {
      live.watchFromTs = now;
      this.transition(live, 'unknown', 'awaiting-evidence', {}, now, 'clear');
    }
  }

  get(deviceId: string): LiveView | undefined {
    return this.live.get(deviceId);
  }

  /** Writes pending last-heard times in one transaction; called after each ingest batch. */
  flushHeard(): void {
    if (this.heardDirty.size === 0) return;
    const rows = [...this.heardDirty.values()];
    this.heardDirty = new Map();
    this.deps.intervals.recordHeard(rows);
    this.deps.onHeard?.(
      rows.map((r) => ({
        deviceId: r.deviceId,
        communeId: this.live.get(r.deviceId)!.info.communeId,
        ts: r.ts,
      })),
    );
  }

  /**
   * Ends maintenance whose planned end has come and starts planned maintenance that is due, for
   * the devices this engine holds. Both are read from the database, so a restart or a takeover
   * in between changes nothing. Part of check().
   */
  private maintenanceDue(now: number): void {
    for (const id of this.deps.intervals.maintenanceEnded(now)) {
      const live = this.live.get(id);
      if (!live) continue;
      this.deps.log.info({ deviceId: id }, 'planned maintenance ended');
      if (live.state === 'maintenance') this.setMaintenance(id, false);
      else this.deps.intervals.dropMaintenance(id);
    }
    for (const p of this.deps.intervals.plans(now)) {
      if (!this.live.has(p.deviceId)) continue;
      this.deps.intervals.dropPlans({ id: p.id });
      if (p.untilTs <= now) continue;
      this.deps.log.info({ deviceId: p.deviceId }, 'planned maintenance started');
      this.setMaintenance(p.deviceId, true, p.setBy, { reason: p.reason, untilTs: p.untilTs });
    }
  }

  /** Finds late devices. Exposed for tests that drive the clock. */
  check(): void {
    const now = this.deps.clock();
    this.commissionDue(now);
    this.maintenanceDue(now);
    for (const live of this.live.values()) {
      if (!live.tracked || live.state === 'maintenance' || live.state === 'down') continue;
      const windowMs = (live.info.heartbeatIntervalSec + live.info.graceSec) * 1000;
      const since = Math.max(live.lastHeardTs ?? 0, live.watchFromTs);
      if (now - since <= windowMs) continue;
      // Its watcher cannot judge it: silence is then the watcher's failure, not evidence of an outage.
      if (live.state === 'unknown' && live.verdict?.state === 'unknown') continue;
      if (live.state === 'unreachable' && this.upstreamDown(live)) continue;
      this.goDown(live, 'heartbeat-late', { seconds: Math.round((now - since) / 1000) }, since + windowMs);
    }
  }

  private markAlive(): void {
    this.flushHeard();
    this.deps.runs.alive(this.deps.clock());
  }

  private commissionDue(now: number): void {
    for (const live of this.live.values()) {
      if (live.tracked || live.info.commissionedTs > now) continue;
      live.tracked = true;
      live.watchFromTs = now;
      this.transition(live, 'unknown', 'awaiting-evidence', {}, live.info.commissionedTs);
    }
  }

  /** True when the device has upstreams and every one is down or unreachable: any one left carries it. */
  private upstreamDown(live: Live): boolean {
    const ups = live.info.upstreamIds;
    return (
      ups.length > 0 &&
      ups.every((id) => {
        const up = this.live.get(id);
        return up !== undefined && (up.state === 'down' || up.state === 'unreachable');
      })
    );
  }

  private goDown(live: Live, reason: ReasonCode, params: ReasonParams, ts: number): void {
    if (this.upstreamDown(live)) this.unreachable(live, ts);
    else this.transition(live, 'down', reason, params, ts);
  }

  private unreachable(live: Live, ts: number): void {
    const ups = live.info.upstreamIds;
    if (ups.length === 1) this.transition(live, 'unreachable', 'upstream-down', this.rootOf(ups[0]!), ts);
    else this.transition(live, 'unreachable', 'upstreams-down', { deviceIds: ups.join(', ') }, ts);
  }

  /**
   * The device an outage or degradation really comes from, named with its type so the text reads
   * as that device ("Gateway LoRa …", not "internet line …"): an upstream that is itself only
   * suffering its own upstream passes that root on, so a chain of devices shows one cause.
   */
  private rootOf(upstreamId: string): ReasonParams {
    const up = this.live.get(upstreamId);
    if (!up) return { deviceId: upstreamId, name: upstreamId, type: 'uplink' };
    if (up.reason === 'upstream-down' || up.reason === 'upstream-degraded') return up.params;
    return { deviceId: up.info.id, name: up.info.name, type: up.info.type.kind };
  }

  /**
   * `upstream-degraded` when every upstream is impaired (degraded, down or unreachable) and at
   * least one is degraded: the device answers, but only through a poor line. With one upstream
   * still fine its path is fine, as for unreachable.
   */
  private upstreamDegraded(live: Live): ReasonParams | null {
    const ups = live.info.upstreamIds.map((id) => this.live.get(id));
    if (ups.length === 0 || ups.some((u) => u === undefined)) return null;
    const impaired = (s: DeviceState) => s === 'degraded' || s === 'down' || s === 'unreachable';
    if (!ups.every((u) => impaired(u!.state))) return null;
    const degraded = ups.find((u) => u!.state === 'degraded');
    return degraded ? this.rootOf(degraded.info.id) : null;
  }

  private transition(
    live: Live,
    state: DeviceState,
    reason: ReasonCode,
    params: ReasonParams,
    ts: number,
    maintenance?: MaintenanceChange,
  ): void {
    if (state === 'up') {
      // Its own evidence says up; a degraded upstream makes what users get of it degraded.
      live.upReason = reason;
      const root = this.upstreamDegraded(live);
      if (root) [state, reason, params] = ['degraded', 'upstream-degraded', root];
    }
    if (live.state === state && live.reason === reason && sameParams(live.params, params)) return;
    const from = live.state;
    // An interval may not start before the one it closes; late evidence is clamped to the last change.
    const at = Math.max(ts, live.sinceTs);
    Object.assign(live, { state, reason, params, sinceTs: at });
    this.deps.intervals.transition({
      deviceId: live.info.id,
      communeId: live.info.communeId,
      state,
      reason,
      params,
      ts: at,
      lastHeardTs: live.lastHeardTs,
      ...(maintenance ? { maintenance } : {}),
    });
    this.deps.log.debug({ deviceId: live.info.id, from, state, reason }, 'state change');
    this.deps.onChange({
      deviceId: live.info.id,
      communeId: live.info.communeId,
      from,
      state,
      reason,
      params,
      sinceTs: at,
      lastHeardTs: live.lastHeardTs,
    });
    this.propagate(live, state, at);
  }

  /**
   * An upstream's change moves the devices depending on it: down → unreachable once all their
   * upstreams are down, and back to watching when one recovers; degraded → those that are up show
   * `upstream-degraded`, and return to their own evidence when it passes.
   */
  private propagate(upstream: Live, state: DeviceState, ts: number): void {
    for (const id of this.dependents.get(upstream.info.id) ?? []) {
      const dep = this.live.get(id);
      if (!dep?.tracked) continue;
      if ((state === 'down' || state === 'unreachable') && dep.state === 'down' && this.upstreamDown(dep))
        this.unreachable(dep, ts);
      else if (state === 'up' && dep.state === 'unreachable') dep.watchFromTs = ts;
      else if (dep.state === 'unreachable' && dep.reason === 'upstream-down' && this.upstreamDown(dep))
        this.unreachable(dep, ts); // the root behind its upstream may have changed
      if (dep.state === 'up' || (dep.state === 'degraded' && dep.reason === 'upstream-degraded'))
        this.transition(dep, 'up', dep.upReason, {}, ts);
    }
  }
}

function sameParams(a: ReasonParams, b: ReasonParams): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
