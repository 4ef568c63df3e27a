import type { Config } from '../../config/load.ts';
import type { AuditLog } from '../api/audit.ts';
import type { IntervalLog } from '../availability/interval-log.ts';
import { canSee } from '../device-types/registry.ts';
import { maintainsCameras } from '../inventory/camera-maintainers.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import { NotifyDispatcher } from '../notify/dispatcher.ts';
import type { AckPress } from '../notify/notifier.ts';
import type { ReportArchive } from '../reports/archive.ts';
import type { EventBus } from '../shared/bus.ts';
import { t } from '../shared/i18n/index.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import { DailyDigest } from './digest.ts';
import { AlertEngine } from './engine.ts';
import { WindowScheduler } from './windows/window-scheduler.ts';

export interface AlertingDeps {
  readonly config: Config;
  readonly db: Db;
  readonly directory: DeviceDirectory;
  readonly intervals: Pick<IntervalLog, 'statuses' | 'addPlan' | 'maintenances'>;
  readonly bus: EventBus;
  readonly audit: AuditLog;
  readonly clock: () => number;
  readonly log: Logger;
  /** Where the readings rules (metric-threshold, plot-dry, plot-wet) read. */
  readonly store?: Store;
  /** Where the report-overdue rules look for the scheduled reports. */
  readonly reportArchive?: ReportArchive;
}

/**
 * Alerts and their notifications, wired together: the engine queues into the dispatcher's outbox,
 * and an acknowledge press in a provider's app (Telegram's inline button) acknowledges the alert
 * for the user whose contact pressed it, with an audit entry, as the dashboard button does.
 */
export class Alerting {
  readonly engine: AlertEngine;
  readonly dispatcher: NotifyDispatcher;
  /** Maintenance windows: their occurrences become planned maintenance of the devices they cover. */
  readonly windows: WindowScheduler;
  readonly digest: DailyDigest;
  private housekeeper: NodeJS.Timeout | undefined;

  constructor(private readonly deps: AlertingDeps) {
    this.dispatcher = new NotifyDispatcher({
      db: deps.db,
      config: deps.config.service.alerts,
      secrets: deps.config.notifierSecrets ?? {},
      clock: deps.clock,
      log: deps.log.child({ mod: 'notify' }),
      onPress: (notifier, press) => this.pressed(notifier, press),
    });
    this.windows = new WindowScheduler({ ...deps, log: deps.log.child({ mod: 'alerts.windows' }) });
    this.digest = new DailyDigest({
      db: deps.db,
      directory: deps.directory,
      dispatcher: this.dispatcher,
      publicBaseUrl: deps.config.service.alerts.publicBaseUrl,
      log: deps.log.child({ mod: 'alerts.digest' }),
    });
    this.engine = new AlertEngine({
      ...deps,
      silenced: (now) => this.windows.silenced(now),
      dispatcher: this.dispatcher,
      log: deps.log.child({ mod: 'alerts' }),
    });
  }

  start(): void {
    this.windows.syncConfig([...this.deps.directory.communes.values()], this.deps.clock());
    this.housekeep();
    this.housekeeper = setInterval(() => this.housekeep(), this.deps.config.service.alerts.tickMs).unref();
    this.engine.start();
    this.dispatcher.start();
  }

  /** Starts due window occurrences and queues due digests; each is recorded, so none runs twice. */
  housekeep(): void {
    try {
      const now = this.deps.clock();
      this.windows.tick(now);
      if (this.digest.tick(now) > 0) this.dispatcher.wake();
    } catch (err) {
      this.deps.log.child({ mod: 'alerts' }).error({ err }, 'alert housekeeping failed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.housekeeper);
    this.engine.stop();
    await this.dispatcher.stop();
  }

  /** The ack until-time for a person who gave none: now + alerts.ackHours. */
  defaultAckUntil(): number {
    return this.deps.clock() + this.deps.config.service.alerts.ackHours * 3_600_000;
  }

  private async pressed(notifier: string, press: AckPress): Promise<void> {
    const kind = this.deps.config.service.alerts.notifiers.find((n) => n.name === notifier)?.kind;
    const a = this.engine.alerts.get(press.alertId);
    const commune = a ? this.deps.directory.communes.get(a.communeId) : undefined;
    const device = a ? this.deps.directory.get(a.deviceId) : undefined;
    const user = commune?.users.find(
      (u) => kind === 'telegram' && u.contact?.telegramChatId === press.address,
    );
    const maySee =
      user !== undefined &&
      device !== undefined &&
      (canSee(user.role, device.type.kind) || maintainsCameras(commune!, user));
    const ok =
      maySee && this.engine.acknowledge(press.alertId, user.username, notifier, this.defaultAckUntil());
    if (ok)
      this.deps.audit.record(
        { username: user.username, name: user.name, role: user.role, communeId: a!.communeId },
        'alert-acknowledge',
        `alert:${press.alertId}`,
        this.deps.clock(),
      );
    this.deps.log
      .child({ mod: 'alerts' })
      .info({ alertId: press.alertId, notifier, acknowledged: ok }, 'acknowledge pressed');
    const locale = user?.locale ?? 'vi';
    await press
      .answer(ok ? t(locale, 'alert.ack.done', { name: user!.name }) : t(locale, 'alert.ack.refused'))
      .catch((err) => this.deps.log.warn({ err, notifier }, 'acknowledge answer not sent'));
  }
}
