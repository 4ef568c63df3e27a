import type { Statement } from 'better-sqlite3';
import type { Role } from '../../../config/schema/commune.ts';
import type { WindowSchedule, WindowScope } from '../../../config/schema/quiet-windows.ts';
import { canSee } from '../../device-types/registry.ts';
import type { DeviceDirectory, DeviceInfo } from '../../inventory/device-directory.ts';
import type { Db } from '../../store/db.ts';

/**
 * A maintenance window: a schedule over a device, a site or a hamlet. `role` is whose devices
 * it covers in that place (its creator's role; admin for the commune file's), so a window never
 * reaches a device its creator may not see: a technician's hamlet window leaves the cameras out.
 */
export interface MaintenanceWindow {
  readonly id: number;
  readonly communeId: string;
  /** The id in the commune file for a window planned there; null for one made through the API. */
  readonly configId: string | null;
  readonly scope: WindowScope;
  readonly role: Role;
  readonly reason: string;
  readonly schedule: WindowSchedule;
  readonly createdBy: string;
  readonly createdTs: number;
}

/** The maintenance record's `set_by` for a window's devices: says which window put them there. */
export const windowSetBy = (id: number) => `window:${id}`;

type Raw = Omit<MaintenanceWindow, 'scope' | 'schedule'> & {
  kind: string;
  scopeId: string;
  schedule: string;
};

const SELECT = `SELECT id, commune_id AS communeId, config_id AS configId, scope_kind AS kind,
    scope_id AS scopeId, role, reason, schedule, created_by AS createdBy, created_ts AS createdTs
  FROM maintenance_windows`;

function parse({ kind, scopeId, schedule, ...w }: Raw): MaintenanceWindow {
  return {
    ...w,
    scope: { kind: kind as WindowScope['kind'], id: scopeId },
    schedule: JSON.parse(schedule) as WindowSchedule,
  };
}

/** The windows table, and the record of occurrences already started. */
export class WindowStore {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  all(): MaintenanceWindow[] {
    return (this.sql(`${SELECT} ORDER BY id`).all() as Raw[]).map(parse);
  }

  get(id: number): MaintenanceWindow | undefined {
    const raw = this.sql(`${SELECT} WHERE id = ?`).get(id) as Raw | undefined;
    return raw && parse(raw);
  }

  /** Statements compiled once per store: the scheduler and the alert engine ask every tick. */
  private sql(text: string): Statement {
    let s = this.statements.get(text);
    if (!s) {
      s = this.db.prepare(text);
      this.statements.set(text, s);
    }
    return s;
  }

  add(w: Omit<MaintenanceWindow, 'id'>): number {
    return Number(
      this.sql(
        `INSERT INTO maintenance_windows (commune_id, config_id, scope_kind, scope_id, role, reason, schedule,
             created_by, created_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        w.communeId,
        w.configId,
        w.scope.kind,
        w.scope.id,
        w.role,
        w.reason,
        JSON.stringify(w.schedule),
        w.createdBy,
        w.createdTs,
      ).lastInsertRowid,
    );
  }

  /** Rewrites a window's place, reason and schedule; its id (and so its maintenance records) stays. */
  update(id: number, w: Pick<MaintenanceWindow, 'scope' | 'reason' | 'schedule'>): void {
    this.sql(
      'UPDATE maintenance_windows SET scope_kind = ?, scope_id = ?, reason = ?, schedule = ? WHERE id = ?',
    ).run(w.scope.kind, w.scope.id, w.reason, JSON.stringify(w.schedule), id);
  }

  /**
   * Removes a window: its plans not yet started go, and the devices it holds in maintenance leave
   * it at the next availability check (their planned end becomes now), through the one path that
   * ends maintenance. Returns false when there was no such window.
   */
  remove(id: number, now: number): boolean {
    return this.db.transaction(() => {
      if (this.sql('DELETE FROM maintenance_windows WHERE id = ?').run(id).changes === 0) return false;
      this.sql('DELETE FROM maintenance_window_runs WHERE window_id = ?').run(id);
      this.release(id, now);
      return true;
    })();
  }

  /**
   * Lets go of what a window holds: its plans not yet started go, and its devices in maintenance
   * leave it at the next availability check (planned end now). The maintenance they had stays in
   * their state intervals, so the time already spent still counts as maintenance in the KPIs.
   */
  release(id: number, now: number): void {
    this.sql('DELETE FROM maintenance_plans WHERE set_by = ?').run(windowSetBy(id));
    this.sql('UPDATE device_maintenance SET until_ts = ? WHERE set_by = ?').run(now, windowSetBy(id));
  }

  /** Devices a window holds in maintenance now (their record names it), by id. */
  held(id: number): string[] {
    return this.sql('SELECT device_id FROM device_maintenance WHERE set_by = ?')
      .pluck()
      .all(windowSetBy(id)) as string[];
  }

  /** Moves the planned end (and reason) of one device this window holds. */
  hold(id: number, deviceId: string, untilTs: number, reason: string): void {
    this.sql('UPDATE device_maintenance SET until_ts = ?, reason = ? WHERE device_id = ? AND set_by = ?').run(
      untilTs,
      reason,
      deviceId,
      windowSetBy(id),
    );
  }

  /** The recorded end of the occurrence that started at `startTs`; undefined if it never started. */
  runUntil(windowId: number, startTs: number): number | undefined {
    return this.sql('SELECT until_ts FROM maintenance_window_runs WHERE window_id = ? AND start_ts = ?')
      .pluck()
      .get(windowId, startTs) as number | undefined;
  }

  /** Records (or moves) the end of a started occurrence: ended early, or edited. */
  setRun(windowId: number, startTs: number, untilTs: number): void {
    this.sql(
      `INSERT INTO maintenance_window_runs (window_id, start_ts, until_ts) VALUES (?, ?, ?)
         ON CONFLICT (window_id, start_ts) DO UPDATE SET until_ts = excluded.until_ts`,
    ).run(windowId, startTs, untilTs);
  }

  /** Forgets the started occurrences not over yet, so an edited schedule's occurrence starts afresh. */
  dropOpenRuns(windowId: number, now: number): void {
    this.sql('DELETE FROM maintenance_window_runs WHERE window_id = ? AND until_ts > ?').run(windowId, now);
  }

  /** Records an occurrence as started; false if it already was (a restart, a second process). */
  markStarted(windowId: number, startTs: number, untilTs: number): boolean {
    return (
      this.sql(
        'INSERT OR IGNORE INTO maintenance_window_runs (window_id, start_ts, until_ts) VALUES (?, ?, ?)',
      ).run(windowId, startTs, untilTs).changes === 1
    );
  }
}

/** The devices a window covers: those of its place that its role may see. */
export function devicesOf(
  directory: DeviceDirectory,
  w: Pick<MaintenanceWindow, 'communeId' | 'scope' | 'role'>,
) {
  const inPlace = (d: DeviceInfo) =>
    w.scope.kind === 'device'
      ? d.id === w.scope.id
      : w.scope.kind === 'site'
        ? d.siteId === w.scope.id
        : d.hamletId === w.scope.id;
  return [...directory.all()].filter(
    (d) => d.communeId === w.communeId && inPlace(d) && canSee(w.role, d.type.kind),
  );
}
