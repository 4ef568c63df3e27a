import type { Db } from '../store/db.ts';
import type { DeviceState, ReasonParams } from './states.ts';

export interface Interval {
  readonly state: DeviceState;
  readonly reason: string;
  readonly params: ReasonParams;
  readonly startTs: number;
  readonly endTs: number | null;
}

export interface StatusRow {
  deviceId: string;
  communeId: string;
  state: DeviceState;
  reason: string;
  params: ReasonParams;
  sinceTs: number;
  lastHeardTs: number | null;
  lastHeartbeatTs: number | null;
  lastHeartbeat: unknown;
}

/**
 * A device a technician put in maintenance: who (username; null if from before this was kept),
 * when, why, and until when (epoch ms; null for maintenance set before a planned end was asked,
 * which lasts until taken off).
 */
export interface MaintenanceRow {
  readonly deviceId: string;
  readonly communeId: string;
  readonly setBy: string | null;
  readonly setTs: number;
  readonly reason: string | null;
  readonly untilTs: number | null;
}

/** Maintenance planned to start later: the engine starts it at startTs and ends it at untilTs. */
export interface MaintenancePlan {
  readonly id: number;
  readonly deviceId: string;
  readonly communeId: string;
  readonly startTs: number;
  readonly untilTs: number;
  readonly reason: string;
  readonly setBy: string;
  readonly setTs: number;
}

/** What a person gives when putting a device in maintenance. */
export interface MaintenanceSet {
  readonly setBy: string | null;
  readonly reason?: string | null;
  readonly untilTs?: number | null;
}

/**
 * What a transition does to the durable maintenance record: `set` when a person puts the device in
 * maintenance, `clear` when they take it out. Absent: left as it is (a restart's unknown gap
 * closes the maintenance interval but not the maintenance).
 */
export type MaintenanceChange = { readonly set: MaintenanceSet } | 'clear';

/**
 * State intervals are the evidence behind every uptime figure, kept for ever. Each device has at
 * most one open interval (end_ts NULL, enforced by a unique partial index); a change closes it and
 * opens the next in one transaction, so the intervals of a device tile time with no gap or overlap.
 */
export class IntervalLog {
  private readonly db: Db;
  private readonly closeOpen;
  private readonly open;
  private readonly upsertStatus;
  private readonly touchHeard;
  private readonly setMaintenance;
  private readonly clearMaintenance;

  constructor(db: Db) {
    this.db = db;
    this.closeOpen = db.prepare(
      'UPDATE state_intervals SET end_ts = ? WHERE device_id = ? AND end_ts IS NULL',
    );
    this.open = db.prepare(
      'INSERT INTO state_intervals (commune_id, device_id, state, reason, params, start_ts) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.upsertStatus = db.prepare(
      `INSERT INTO device_status (device_id, commune_id, state, reason, params, since_ts, last_heard_ts)
       VALUES (@deviceId, @communeId, @state, @reason, @params, @sinceTs, @lastHeardTs)
       ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
         params = excluded.params, since_ts = excluded.since_ts, last_heard_ts = excluded.last_heard_ts`,
    );
    this.touchHeard = db.prepare(
      `UPDATE device_status SET last_heard_ts = @ts,
         last_heartbeat_ts = COALESCE(@heartbeatTs, last_heartbeat_ts),
         last_heartbeat = COALESCE(@heartbeat, last_heartbeat) WHERE device_id = @deviceId`,
    );
    this.setMaintenance = db.prepare(
      `INSERT INTO device_maintenance (device_id, commune_id, set_by, set_ts, reason, until_ts) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET set_by = excluded.set_by, set_ts = excluded.set_ts,
         reason = excluded.reason, until_ts = excluded.until_ts`,
    );
    this.clearMaintenance = db.prepare('DELETE FROM device_maintenance WHERE device_id = ?');
  }

  /**
   * Closes the device's open interval at `ts` and opens one in `state`; with `maintenance`, records
   * or clears the device's maintenance in the same transaction, so the two never disagree.
   */
  transition(row: {
    deviceId: string;
    communeId: string;
    state: DeviceState;
    reason: string;
    params: ReasonParams;
    ts: number;
    lastHeardTs: number | null;
    maintenance?: MaintenanceChange;
  }): void {
    const params = Object.keys(row.params).length > 0 ? JSON.stringify(row.params) : null;
    const { maintenance, ...status } = row;
    this.db.transaction(() => {
      this.closeOpen.run(row.ts, row.deviceId);
      this.open.run(row.communeId, row.deviceId, row.state, row.reason, params, row.ts);
      this.upsertStatus.run({ ...status, params, sinceTs: row.ts });
      if (maintenance === 'clear') this.clearMaintenance.run(row.deviceId);
      else if (maintenance)
        this.setMaintenance.run(
          row.deviceId,
          row.communeId,
          maintenance.set.setBy,
          row.ts,
          maintenance.set.reason ?? null,
          maintenance.set.untilTs ?? null,
        );
    })();
  }

  /** The devices in maintenance, durable across restarts and takeovers. */
  maintenances(): Map<string, MaintenanceRow> {
    const rows = this.db
      .prepare(
        `SELECT device_id AS deviceId, commune_id AS communeId, set_by AS setBy, set_ts AS setTs, reason,
           until_ts AS untilTs FROM device_maintenance`,
      )
      .all() as MaintenanceRow[];
    return new Map(rows.map((r) => [r.deviceId, r]));
  }

  /** Rewrites the maintenance record of a device already in maintenance (who, why, until when). */
  recordMaintenance(deviceId: string, communeId: string, set: MaintenanceSet, ts: number): void {
    this.setMaintenance.run(deviceId, communeId, set.setBy, ts, set.reason ?? null, set.untilTs ?? null);
  }

  /** Devices whose planned maintenance end has come (until_ts ≤ now). */
  maintenanceEnded(now: number): string[] {
    return this.db
      .prepare('SELECT device_id FROM device_maintenance WHERE until_ts <= ?')
      .pluck()
      .all(now) as string[];
  }

  /** Forgets a device's maintenance without a state change (it ended while the device was not in it). */
  dropMaintenance(deviceId: string): void {
    this.clearMaintenance.run(deviceId);
  }

  /** Records maintenance planned to start later; returns its id. */
  addPlan(p: Omit<MaintenancePlan, 'id'>): number {
    return Number(
      this.db
        .prepare(
          `INSERT INTO maintenance_plans (device_id, commune_id, start_ts, until_ts, reason, set_by, set_ts)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(p.deviceId, p.communeId, p.startTs, p.untilTs, p.reason, p.setBy, p.setTs).lastInsertRowid,
    );
  }

  /** Planned maintenance, soonest first; only those due (startTs ≤ dueBy) when given. */
  plans(dueBy?: number): MaintenancePlan[] {
    return this.db
      .prepare(
        `SELECT id, device_id AS deviceId, commune_id AS communeId, start_ts AS startTs, until_ts AS untilTs,
           reason, set_by AS setBy, set_ts AS setTs FROM maintenance_plans
         ${dueBy === undefined ? '' : 'WHERE start_ts <= ?'} ORDER BY start_ts, id`,
      )
      .all(...(dueBy === undefined ? [] : [dueBy])) as MaintenancePlan[];
  }

  /** Removes one plan (started or cancelled), or every plan of a device; returns how many went. */
  dropPlans(which: { id: number } | { deviceId: string }): number {
    return 'id' in which
      ? this.db.prepare('DELETE FROM maintenance_plans WHERE id = ?').run(which.id).changes
      : this.db.prepare('DELETE FROM maintenance_plans WHERE device_id = ?').run(which.deviceId).changes;
  }

  /** Many heartbeats, one transaction: called from the ingest batch flush, not per message. */
  recordHeard(
    rows: ReadonlyArray<{ deviceId: string; ts: number; heartbeatTs?: number; heartbeat?: unknown }>,
  ): void {
    this.db.transaction(() => {
      for (const r of rows)
        this.touchHeard.run({
          deviceId: r.deviceId,
          ts: r.ts,
          heartbeatTs: r.heartbeatTs ?? null,
          heartbeat: r.heartbeat === undefined ? null : JSON.stringify(r.heartbeat),
        });
    })();
  }

  /** Every device's saved status, or one device's when `deviceId` is given. */
  statuses(deviceId?: string): StatusRow[] {
    const rows = this.db
      .prepare(
        `SELECT device_id AS deviceId, commune_id AS communeId, state, reason, params, since_ts AS sinceTs,
                last_heard_ts AS lastHeardTs, last_heartbeat_ts AS lastHeartbeatTs, last_heartbeat AS lastHeartbeat
         FROM device_status ${deviceId === undefined ? '' : 'WHERE device_id = ?'}`,
      )
      .all(...(deviceId === undefined ? [] : [deviceId])) as Array<
      StatusRow & { params: string | null; lastHeartbeat: string | null }
    >;
    return rows.map((r) => ({
      ...r,
      params: r.params ? JSON.parse(r.params) : {},
      lastHeartbeat: r.lastHeartbeat ? JSON.parse(r.lastHeartbeat) : null,
    }));
  }

  /** Intervals overlapping [fromTs, toTs), newest first. */
  history(deviceId: string, fromTs: number, toTs: number, limit = 1000): Interval[] {
    const rows = this.db
      .prepare(
        `SELECT state, reason, params, start_ts AS startTs, end_ts AS endTs FROM state_intervals
         WHERE device_id = ? AND start_ts < ? AND (end_ts IS NULL OR end_ts > ?)
         ORDER BY start_ts DESC, id DESC LIMIT ?`,
      )
      .all(deviceId, toTs, fromTs, limit) as Array<Interval & { params: string | null }>;
    return rows.map((r) => ({ ...r, params: r.params ? JSON.parse(r.params) : {} }));
  }
}
