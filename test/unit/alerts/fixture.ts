import type { Config } from '../../../config/load.ts';
import { ServiceConfigSchema } from '../../../config/schema/service.ts';
import { Alerting } from '../../../services/alerts/alerting.ts';
import { AuditLog } from '../../../services/api/audit.ts';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import type { DeviceState } from '../../../services/availability/states.ts';
import { DeviceDirectory } from '../../../services/inventory/device-directory.ts';
import type { ReportArchive } from '../../../services/reports/archive.ts';
import { EventBus } from '../../../services/shared/bus.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { type Db, openDb } from '../../../services/store/db.ts';
import type { Store } from '../../../services/store/store.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

export const T0 = Date.parse('2026-11-23T08:00:00+07:00');
const log = createLogger({ level: 'silent' });

/**
 * A commune with alert rules: an uplink with a camera and two Wi-Fi APs behind it, a soil sensor;
 * a technician (step 0), a leader (step 1), the police, an economics officer, a camera maintainer.
 */
export function alertCommune(extra: Record<string, unknown> = {}, alertsExtra: Record<string, unknown> = {}) {
  return buildCommune({
    hamlets: [
      { id: 'ap-1', name: 'Ấp 1' },
      { id: 'ap-2', name: 'Ấp 2' },
    ],
    sites: [
      { id: 'nvh-1', name: 'Nhà văn hóa ấp 1', kind: 'cultural-house', hamlet: 'ap-1', uplink: 'net-1' },
      { id: 'farm-1', name: 'Vườn thí điểm', kind: 'farm', hamlet: 'ap-2' },
    ],
    devices: [
      { id: 'net-1', type: 'uplink', name: 'Đường truyền NVH' },
      { id: 'cam-1', type: 'camera', name: 'Camera cổng NVH' },
      { id: 'wifi-1', type: 'wifi-ap', name: 'Wi-Fi NVH 1' },
      { id: 'wifi-2', type: 'wifi-ap', name: 'Wi-Fi NVH 2' },
      { id: 'soil-1', type: 'soil-sensor', name: 'Cảm biến đất 1', site: 'farm-1' },
    ],
    users: [
      {
        username: 'kythuat.a',
        name: 'Kỹ thuật A',
        role: 'technician',
        contact: { telegramChatId: '111', email: 'a@xa.vn', phone: '0912345678' },
      },
      {
        username: 'lanhdao.b',
        name: 'Lãnh đạo B',
        role: 'leader',
        contact: { telegramChatId: '222' },
        locale: 'en',
      },
      { username: 'congan.c', name: 'Công an C', role: 'police', contact: { telegramChatId: '333' } },
      { username: 'kinhte.d', name: 'Kinh tế D', role: 'economics', contact: { telegramChatId: '444' } },
      {
        username: 'camera.e',
        name: 'Nhà thầu camera E',
        role: 'technician',
        contact: { telegramChatId: '555' },
      },
    ],
    extra: {
      alerts: {
        rules: [
          { id: 'uplink-down', kind: 'down-for', minutes: 5, deviceTypes: ['uplink'], severity: 'critical' },
          { id: 'device-down', kind: 'down-for', minutes: 10, deviceTypes: ['wifi-ap', 'camera'] },
          { id: 'soil-silent', kind: 'silent', minutes: 60, deviceTypes: ['soil-sensor'] },
        ],
        notify: [{ roles: ['technician', 'police', 'economics'] }, { roles: ['leader'] }],
        cameraMaintainers: ['camera.e'],
        ...alertsExtra,
      },
      ...extra,
    },
  });
}

export function alertSetup(
  opts: {
    db?: Db;
    now?: number;
    alerts?: Record<string, unknown>;
    communeAlerts?: Record<string, unknown>;
    secrets?: Record<string, string>;
    /** Merged into the commune file (crops, plots, an alerts section of its own). */
    commune?: Record<string, unknown>;
    /** Where readings rules read. */
    store?: Store;
    /** Where report-overdue rules look. */
    reportArchive?: ReportArchive;
  } = {},
) {
  let now = opts.now ?? T0;
  const db = opts.db ?? openDb(':memory:');
  const commune = alertCommune(opts.commune, opts.communeAlerts);
  const service = ServiceConfigSchema.parse({
    alerts: {
      publicBaseUrl: 'https://canhxa.example.vn',
      escalateAfterMin: 15,
      repeatEveryMin: 30,
      maxRepeats: 2,
      flapping: { changes: 4, windowMin: 30 },
      notifiers: [
        { name: 'tg', kind: 'telegram', config: { apiUrl: 'http://127.0.0.1:9', tokenRef: 'tg' } },
        { name: 'hook', kind: 'webhook', config: { url: 'http://127.0.0.1:9/h', secretRef: 'hook' } },
      ],
      ...opts.alerts,
    },
  });
  const config = {
    service,
    communes: [commune],
    notifierSecrets: { tg: 'x', hook: 'y'.repeat(32), ...opts.secrets },
  } as unknown as Config;
  const directory = new DeviceDirectory({ communes: [commune] });
  const intervals = new IntervalLog(db);
  const alerting = new Alerting({
    config,
    db,
    directory,
    intervals,
    bus: new EventBus(),
    audit: new AuditLog(db),
    clock: () => now,
    log,
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.reportArchive ? { reportArchive: opts.reportArchive } : {}),
  });
  const set = (deviceId: string, state: DeviceState, reason: string, params: Record<string, string> = {}) =>
    intervals.transition({ deviceId, communeId: 'xa-thu', state, reason, params, ts: now, lastHeardTs: now });
  for (const d of directory.all()) set(d.id, 'up', 'heartbeat');
  // The engine's cursor starts past the history written so far, as at a first start.
  alerting.engine.initCursor();
  return {
    db,
    alerting,
    engine: alerting.engine,
    set,
    /** The uplink down, the devices behind it unreachable because of it. */
    uplinkDown() {
      set('net-1', 'down', 'heartbeat-late', { seconds: '90' });
      for (const id of ['cam-1', 'wifi-1', 'wifi-2'])
        set(id, 'unreachable', 'upstream-down', {
          deviceId: 'net-1',
          name: 'Đường truyền NVH',
          type: 'uplink',
        });
    },
    advance(ms: number) {
      now += ms;
      alerting.engine.tick();
    },
    now: () => now,
    /** Queued notifications: notifier, user, event, alert id. */
    outbox(): Array<{
      notifier: string;
      username: string | null;
      event: string;
      alertId: number;
      text: string;
    }> {
      return (
        db
          .prepare(
            'SELECT notifier, username, event, alert_id AS alertId, message FROM notify_outbox ORDER BY id',
          )
          .all() as Array<{
          notifier: string;
          username: string | null;
          event: string;
          alertId: number;
          message: string;
        }>
      ).map(({ message, ...r }) => ({ ...r, text: (JSON.parse(message) as { text: string }).text }));
    },
  };
}
