import type { CommuneFile } from '../../../config/schema/commune.ts';
import type { IntervalLog } from '../../availability/interval-log.ts';
import type { DeviceDirectory } from '../../inventory/device-directory.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Db } from '../../store/db.ts';
import { activeAt, type Occurrence, occurrences } from './occurrences.ts';

const DAY_MS = 86_400_000;

import { devicesOf, type MaintenanceWindow, WindowStore, windowSetBy } from './window-store.ts';

export interface WindowSchedulerDeps {
  readonly db: Db;
  readonly directory: DeviceDirectory;
  readonly intervals: Pick<IntervalLog, 'addPlan' | 'maintenances'>;
  readonly log: Logger;
}

/**
 * Starts the occurrences of maintenance windows by writing them as planned maintenance of each
 * device they cover (start and end of the occurrence): the availability engine starts and ends
 * planned maintenance in whatever process holds the device, so a window's devices go through
 * the one maintenance path (state interval, KPI exclusion, durable record) and a restart in the
 * middle of a window leaves them in it. Each occurrence is recorded once, so none starts twice.
 */
export class WindowScheduler {
  readonly store: WindowStore;

  constructor(private readonly deps: WindowSchedulerDeps) {
    this.store = new WindowStore(deps.db);
  }

  /**
   * Makes the windows planned in the commune files those of the table: new ones added, changed
   * ones replaced, removed ones removed (their devices leave maintenance).
   */
  syncConfig(communes: readonly CommuneFile[], now: number): void {
    const have = new Map(
      this.store.all().flatMap((w) => (w.configId === null ? [] : [[w.configId, w] as const])),
    );
    const want = new Set<string>();
    for (const c of communes)
      for (const cw of c.alerts.windows) {
        const configId = `${c.commune.id}:${cw.id}`;
        want.add(configId);
        const old = have.get(configId);
        const same =
          old &&
          old.reason === cw.reason &&
          JSON.stringify([old.scope, old.schedule]) === JSON.stringify([cw.scope, cw.schedule]);
        if (same) continue;
        if (old) this.store.remove(old.id, now);
        this.store.add({
          communeId: c.commune.id,
          configId,
          scope: cw.scope,
          role: 'admin',
          reason: cw.reason,
          schedule: cw.schedule,
          createdBy: 'config',
          createdTs: now,
        });
      }
    for (const [configId, w] of have) if (!want.has(configId)) this.store.remove(w.id, now);
  }

  /** Starts the occurrences that hold now and were not started yet. */
  tick(now: number): void {
    this.deps.db.transaction(() => {
      for (const w of this.store.all()) {
        const occ = this.current(w, now);
        if (!occ || !this.store.markStarted(w.id, occ.startTs, occ.untilTs)) continue;
        this.plan(w, occ, now);
      }
    })();
  }

  /** Writes an occurrence as planned maintenance of each device the window covers. */
  private plan(w: MaintenanceWindow, occ: Occurrence, now: number): void {
    const maintenance = this.deps.intervals.maintenances();
    let planned = 0;
    for (const d of devicesOf(this.deps.directory, w)) {
      // Maintenance a person set that outlasts this occurrence stays as they set it.
      const m = maintenance.get(d.id);
      if (m && (m.untilTs === null || m.untilTs >= occ.untilTs)) continue;
      this.deps.intervals.addPlan({
        deviceId: d.id,
        communeId: w.communeId,
        startTs: occ.startTs,
        untilTs: occ.untilTs,
        reason: w.reason,
        setBy: windowSetBy(w.id),
        setTs: now,
      });
      planned++;
    }
    this.deps.log.info(
      { windowId: w.id, untilTs: occ.untilTs, devices: planned },
      'maintenance window started',
    );
  }

  /** The occurrence holding now, unless it was ended early. */
  current(w: MaintenanceWindow, now: number): Occurrence | undefined {
    const occ = activeAt(w.schedule, now);
    return occ && !this.endedEarly(w, occ, now) ? occ : undefined;
  }

  /** The occurrence holding now, else the next to start (within eight days), skipping one ended early. */
  upcoming(w: MaintenanceWindow, now: number): Occurrence | undefined {
    return occurrences(w.schedule, now, now + 8 * DAY_MS).find(
      (o) => o.untilTs > now && !this.endedEarly(w, o, now),
    );
  }

  private endedEarly(w: MaintenanceWindow, occ: Occurrence, now: number): boolean {
    const until = this.store.runUntil(w.id, occ.startTs);
    return until !== undefined && until < occ.untilTs && until <= now;
  }

  /**
   * Rewrites a window (place, reason, schedule) and makes what it holds follow: the devices of its
   * new place in its occurrence holding now stay or go into maintenance until that occurrence's
   * end, the others leave at the next check, and later occurrences start as planned. Time already
   * spent in maintenance stays in the state intervals (and so in the KPIs).
   */
  edit(id: number, next: Pick<MaintenanceWindow, 'scope' | 'reason' | 'schedule'>, now: number): void {
    this.deps.db.transaction(() => {
      this.store.update(id, next);
      this.store.dropOpenRuns(id, now);
      const w = this.store.get(id)!;
      const occ = this.current(w, now);
      const covered = new Set(devicesOf(this.deps.directory, w).map((d) => d.id));
      const held = this.store.held(id);
      this.store.release(id, now);
      if (!occ) return;
      for (const deviceId of held)
        if (covered.has(deviceId)) this.store.hold(id, deviceId, occ.untilTs, w.reason);
      this.store.markStarted(id, occ.startTs, occ.untilTs);
      this.plan(w, occ, now);
    })();
  }

  /**
   * Ends the occurrence holding now (its end becomes now; a one-off window's end too): its devices
   * leave maintenance at the next check, later occurrences of a recurring window still start.
   * False when none holds.
   */
  endNow(id: number, now: number): boolean {
    return this.deps.db.transaction(() => {
      const w = this.store.get(id);
      const occ = w && this.current(w, now);
      if (!w || !occ) return false;
      this.store.setRun(id, occ.startTs, now);
      if (w.schedule.kind === 'once' && now > w.schedule.startTs)
        this.store.update(id, { ...w, schedule: { ...w.schedule, untilTs: now } });
      this.store.release(id, now);
      return true;
    })();
  }

  /** Devices in a window holding now: their alerts neither open nor repeat nor escalate. */
  silenced(now: number): ReadonlySet<string> {
    const devices = new Set<string>();
    for (const w of this.store.all())
      if (this.current(w, now)) for (const d of devicesOf(this.deps.directory, w)) devices.add(d.id);
    return devices;
  }
}
