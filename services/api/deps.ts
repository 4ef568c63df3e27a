import type { Config } from '../../config/load.ts';
import type { Alerting } from '../alerts/alerting.ts';
import type { ApiKeys } from '../auth/api-keys.ts';
import type { DeviceCredentials } from '../auth/device-credentials.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import type { Sessions } from '../auth/sessions.ts';
import type { Users } from '../auth/users.ts';
import type { IntervalLog } from '../availability/interval-log.ts';
import type { LiveStates } from '../availability/live-states.ts';
import type { OnvifDiscovery } from '../cameras/discovery.ts';
import type { SnapshotStore } from '../cameras/snapshot-store.ts';
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
  /** Saved statuses (last heartbeat), the newest-first history of one device, maintenance plans. */
  readonly intervals: Pick<IntervalLog, 'statuses' | 'history' | 'plans' | 'addPlan' | 'dropPlans'>;
  readonly store: Store;
  /** Complete interval spans, device events and rollups over any period (services/read-model/). */
  readonly readModel: ReadModel;
  readonly ingest: IngestStats;
  readonly brokerStats: () => object;
  readonly rejects: RejectLog;
  readonly users: Users;
  readonly sessions: Sessions;
  readonly throttle: LoginThrottle;
  /**
   * Wrong device credentials on the device routes (a gateway's snapshot upload), per address and
   * device: apart from people's logins, so a misconfigured gateway behind an office's NAT address
   * never locks the office out.
   */
  readonly deviceThrottle?: LoginThrottle;
  readonly audit: AuditLog;
  /** API keys of the IOC feed (Authorization: Bearer cxk_…). */
  readonly apiKeys: ApiKeys;
  /** The IOC webhook feed, for its delivery counts; absent when the service runs without it. */
  readonly ioc?: IocFeed;
  /**
   * Rotates a device's MQTT password (the new one returned once) and closes its connection, so the
   * old one stops working at once; absent with an external broker, whose own password file holds
   * the devices' secrets (npm run mosquitto-config).
   */
  readonly deviceSecrets?: {
    rotate(deviceId: string): { readonly password: string; readonly disconnected: boolean };
  };
  /** The cameras' snapshots (police only); absent where no probe runs beside the API. */
  readonly snapshots?: SnapshotStore;
  /** Devices' MQTT passwords, checked for a gateway's upload (HTTP Basic) as the broker checks a CONNECT. */
  readonly deviceCredentials?: Pick<DeviceCredentials, 'verify'>;
  /** WS-Discovery of ONVIF devices on the service's LAN that the inventory lacks. */
  readonly onvifDiscovery?: OnvifDiscovery;
  /** Alerts and notifiers; absent when the service runs without them. */
  readonly alerting?: Alerting;
  readonly db: Db;
  readonly bus: EventBus;
  readonly log: Logger;
  readonly clock: () => number;
  readonly startedTs: number;
}
