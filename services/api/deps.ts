import type { Config } from '../../config/load.ts';
import type { Alerting } from '../alerts/alerting.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import type { Sessions } from '../auth/sessions.ts';
import type { Users } from '../auth/users.ts';
import type { IntervalLog } from '../availability/interval-log.ts';
import type { LiveStates } from '../availability/live-states.ts';
import type { IngestStats } from '../ingest/ingest-stats.ts';
import type { RejectLog } from '../ingest/reject-log.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { IocFeed } from '../ioc/feed.ts';
import type { ReadModel } from '../read-model/read-model.ts';
import type { EventBus } from '../shared/bus.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { AuditLog } from './audit.ts';

/**
 * Everything the routes may touch, passed in explicitly. Live state, ingest figures and interval
 * reads are narrow interfaces, so the embedded service and an external-broker worker each give
 * their own implementation (no subclass, no stand-in parts).
 */
export interface ApiDeps {
  readonly config: Config;
  readonly directory: DeviceDirectory;
  readonly availability: LiveStates;
  /** Saved statuses (last heartbeat) and the newest-first history of one device. */
  readonly intervals: Pick<IntervalLog, 'statuses' | 'history'>;
  readonly store: Store;
  /** Complete interval spans, device events and rollups over any period (services/read-model/). */
  readonly readModel: ReadModel;
  readonly ingest: IngestStats;
  readonly brokerStats: () => object;
  readonly rejects: RejectLog;
  readonly users: Users;
  readonly sessions: Sessions;
  readonly throttle: LoginThrottle;
  readonly audit: AuditLog;
  /** API keys of the IOC feed (Authorization: Bearer cxk_…). */
  readonly apiKeys: ApiKeys;
  /** The IOC webhook feed, for its delivery counts; absent when the service runs without it. */
  readonly ioc?: IocFeed;
  /** Alerts and notifiers; absent when the service runs without them. */
  readonly alerting?: Alerting;
  readonly db: Db;
  readonly bus: EventBus;
  readonly log: Logger;
  readonly clock: () => number;
  readonly startedTs: number;
}
