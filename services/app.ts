import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Config } from '../config/load.ts';
import { ApClientsPlayer } from '../gateway/simulator/ap-clients.ts';
import { BulletinPlayer } from '../gateway/simulator/bulletins.ts';
import { DemoTrouble, planTrouble } from '../gateway/simulator/demo-trouble.ts';
import { ProbeStandIns } from '../gateway/simulator/probe-standins.ts';
import { Simulator } from '../gateway/simulator/simulator.ts';
import { Alerting } from './alerts/alerting.ts';
import { createApiApp } from './api/app.ts';
import { AuditLog } from './api/audit.ts';
import { ApiKeys } from './auth/api-keys.ts';
import { DeviceCredentials } from './auth/device-credentials.ts';
import { LoginThrottle } from './auth/login-throttle.ts';
import { Sessions } from './auth/sessions.ts';
import { Users, writeInitialPasswords } from './auth/users.ts';
import { AvailabilityEngine } from './availability/engine.ts';
import { IntervalLog } from './availability/interval-log.ts';
import type { LiveStates } from './availability/live-states.ts';
import { ServiceRuns } from './availability/service-runs.ts';
import { Broker } from './broker/broker.ts';
import { onvifDiscoveryFor } from './cameras/discovery.ts';
import { SNAPSHOTS_PER_CAMERA, SnapshotStore } from './cameras/snapshot-store.ts';
import { backfillDemoHistory } from './demo/history.ts';
import { troubleCandidates } from './demo/trouble.ts';
import { startExternalIngest } from './ingest/external/external-ingest.ts';
import { Ingest } from './ingest/ingest.ts';
import type { IngestStats } from './ingest/ingest-stats.ts';
import { RejectLog } from './ingest/reject-log.ts';
import { Spool } from './ingest/spool.ts';
import { DeviceDirectory } from './inventory/device-directory.ts';
import { IocFeed } from './ioc/feed.ts';
import { EmbeddedGateways } from './probing/embedded-gateway.ts';
import type { Reason } from './protocol/reasons.ts';
import { SqliteReadModel } from './read-model/sqlite-read-model.ts';
import { ReportArchive } from './reports/archive.ts';
import { ReportScheduler } from './reports/schedule.ts';
import { uplinksReader } from './reports/sources.ts';
import { trendCacheOf } from './reports/trend-cache.ts';
import { EventBus } from './shared/bus.ts';
import { type Logger, rootLogger } from './shared/logger.ts';
import { type Db, openServiceDb } from './store/db.ts';
import { createStore } from './store/registry.ts';
import { communeRetentions, RetentionJob } from './store/retention.ts';
import { isMarkingStore, type Store } from './store/store.ts';

export interface AppOptions {
  readonly config: Config;
  readonly log?: Logger;
  readonly clock?: () => number;
  /** False: no HTTP API, logins or IOC pushes (an ingest worker, `npm run worker`). Default true. */
  readonly api?: boolean;
}

export interface RunningApp {
  readonly apiUrl: string;
  readonly mqttUrl: string;
  readonly mqttPort: number;
  readonly db: Db;
  readonly store: Store;
  readonly directory: DeviceDirectory;
  readonly availability: LiveStates;
  readonly ingest: FlushableIngest;
  readonly users: Users;
  readonly bus: EventBus;
  /** IOC feed: API keys (created by `npm run api-key`) and the webhook pusher. */
  readonly apiKeys: ApiKeys;
  readonly ioc: IocFeed;
  /** Alert rules, lifecycle and the notification outbox (services/alerts, services/notify). */
  readonly alerting: Alerting;
  /** Plain passwords generated in this run (first start only); also appended to initial-passwords.txt. */
  readonly generatedUserPasswords: ReadonlyMap<string, string>;
  /** Device MQTT passwords from the data folder's device-secrets.json (the installer's copy). */
  readonly devicePasswords: ReadonlyMap<string, string>;
  readonly simulator: Simulator | undefined;
  /** The probe runtime inside the service (`gateway.embedded`), one gateway per commune with probed devices. */
  readonly gateways: EmbeddedGateways | undefined;
  /** The cameras' snapshots and approved references (police only), in the data folder. */
  readonly snapshots: SnapshotStore;
  /** The demo's probe targets on loopback (with the simulator on): tests take a line down through them. */
  readonly probeStandIns: ProbeStandIns | undefined;
  stop(): Promise<void>;
}

/**
 * Starts the whole service in this process, in data-path order: store → availability → ingest →
 * broker → API → simulator. Stops in reverse so no accepted message is left unwritten.
 */
export async function startApp(opts: AppOptions): Promise<RunningApp> {
  const { config } = opts;
  const log = opts.log ?? rootLogger;
  const clock = opts.clock ?? Date.now;
  const startedTs = clock();
  mkdirSync(config.paths.dataDir, { recursive: true });
  const db = openServiceDb(config);
  const directory = new DeviceDirectory(config);
  const store = createStore({
    config: config.service.store,
    dataDir: config.paths.dataDir,
    db,
    log: log.child({ mod: 'store' }),
  });
  await store.start();
  const retention = new RetentionJob({
    store,
    communes: communeRetentions(config.service, config.communes),
    log,
    clock,
  });
  retention.start();

  const withApi = opts.api ?? true;
  const external = config.service.ingest.source === 'external';
  const users = new Users(db);
  // An ingest-only worker signs nobody in and authenticates no device (the external broker does),
  // so it neither creates users' nor devices' passwords: several workers starting at once would race.
  const generatedUserPasswords = withApi ? await users.sync(config) : new Map<string, string>();
  writeInitialPasswords(join(config.paths.dataDir, 'initial-passwords.txt'), generatedUserPasswords, users);
  const credentials = new DeviceCredentials(db);
  const devicePasswords =
    withApi || !external
      ? await credentials.ensure(
          [...directory.byId.keys()],
          join(config.paths.dataDir, 'device-secrets.json'),
        )
      : new Map<string, string>();

  const bus = new EventBus();
  const intervals = new IntervalLog(db);
  // The demo's past, written before the engine reads the saved states (services/demo/history.ts).
  if (config.service.simulator.enabled && config.service.demo.historyHours > 0 && !external)
    await backfillDemoHistory({
      db,
      devices: [...directory.all()],
      probed: new Set(config.probeTargets.map((t) => t.deviceId)),
      intervals,
      store,
      hours: config.service.demo.historyHours,
      clock,
      log,
    });
  const rejects = new RejectLog(db, { kept: config.service.ingest.rejectsKept, clock, log });
  rejects.start();
  const onStored = (minTs: number) => retention.noteStored(minTs);
  const sideDeps = { config, db, store, rejects, bus, directory, intervals, clock, log, onStored };
  const side: IngestSide = external
    ? startExternalIngest(sideDeps)
    : await startEmbeddedIngest({ ...sideDeps, credentials });
  const { availability, ingest, mqttUrl, mqttPort } = side;

  const audit = new AuditLog(db);
  const snapshots = new SnapshotStore(config.paths.dataDir, {
    keepPerCamera: SNAPSHOTS_PER_CAMERA,
    log: log.child({ mod: 'cameras' }),
  });
  const apiKeys = new ApiKeys(db, clock);
  // One read model (its statements prepared once) and one archive for the feed, reports, alerts and API.
  const readModel = new SqliteReadModel({ db, store, clock });
  const reportArchive = new ReportArchive(join(config.paths.dataDir, 'reports'));
  const reportSources = { store, rawDays: config.service.retention.rawDays, clock };
  const ioc = new IocFeed({
    config: config.service.ioc,
    sources: { directory, availability, db, clock },
    bus,
    log: log.child({ mod: 'ioc' }),
    readModel,
    uplinksOf: uplinksReader(reportSources),
  });
  if (withApi) ioc.start();
  // Scheduled reports (and the one missed while the service was down) where the API serves them.
  const reports = new ReportScheduler({
    communes: config.communes,
    readModel,
    sources: { ...reportSources, trendCache: trendCacheOf(db) },
    archive: reportArchive,
    clock,
    log: log.child({ mod: 'reports' }),
  });
  if (withApi) void reports.start();
  const alerting = new Alerting({
    config,
    db,
    directory,
    intervals,
    bus,
    audit,
    clock,
    log,
    store,
    reportArchive,
  });
  if (withApi) alerting.start();
  const app = createApiApp({
    config,
    directory,
    availability,
    intervals,
    store,
    readModel,
    ingest,
    brokerStats: side.brokerStats,
    rejects,
    users,
    sessions: new Sessions(db, config.service.api.sessionTtlHours * 3_600_000, clock),
    throttle: new LoginThrottle(config.service.api.loginAttemptsPer15Min, clock),
    deviceThrottle: new LoginThrottle(config.service.api.loginAttemptsPer15Min, clock),
    audit,
    apiKeys,
    ioc,
    ...(side.disconnect
      ? {
          deviceSecrets: {
            rotate: (deviceId: string) => {
              const password = credentials.rotate(
                deviceId,
                join(config.paths.dataDir, 'device-secrets.json'),
                devicePasswords,
                clock(),
              );
              return { password, disconnected: side.disconnect!(deviceId) };
            },
          },
        }
      : {}),
    snapshots,
    onvifDiscovery: onvifDiscoveryFor(config, clock, log),
    deviceCredentials: credentials,
    alerting,
    db,
    bus,
    log: log.child({ mod: 'api' }),
    clock,
    startedTs,
  });
  const server: Server | null = withApi
    ? await new Promise((resolve, reject) => {
        const s = app.listen(config.service.api.port, config.service.api.host, () => resolve(s));
        s.once('error', reject);
      })
    : null;
  const apiHost = config.service.api.host === '0.0.0.0' ? '127.0.0.1' : config.service.api.host;
  const apiUrl = server ? `http://${apiHost}:${(server.address() as AddressInfo).port}` : '';

  // The demo's probe targets answer before the probes first look (npm start with the simulator on).
  const probed = new Set(config.probeTargets.flatMap((t) => [t.deviceId, t.gatewayId]));
  let standIns: ProbeStandIns | undefined;
  if (config.service.simulator.enabled && probed.size > 0) {
    standIns = new ProbeStandIns({
      targets: config.probeTargets.map((t) => ({
        ...t,
        upstreamIds: directory.get(t.deviceId)?.upstreamIds ?? [],
      })),
      speed: config.service.simulator.speed,
      flakyShare: config.service.simulator.flakyShare,
      log,
    });
    await standIns.start();
  }
  // The built-in probe gateways are MQTT clients of whichever broker ingest reads: the embedded one,
  // or the external one, where they log in with their own credentials like any gateway. With an
  // external broker only the process serving the API runs them: a gateway's client id is its
  // device id, and two workers holding it would throw each other off the broker in turn.
  let gateways: EmbeddedGateways | undefined;
  if ((!external || withApi) && config.probeTargets.length > 0) {
    gateways = new EmbeddedGateways({ config, mqttUrl, passwords: devicePasswords, log, snapshots });
    for (const f of gateways.start())
      side.notWatched([...f.deviceIds, f.gatewayId], {
        code: 'adapter-not-running',
        params: { gatewayId: f.gatewayId },
      });
  }
  // The demo's loudspeaker controllers: each shows what it played on its status page (a stand-in
  // the play-status probe reads); one without such a page confirms through the probe gateway that
  // reports for it, as a controller speaking MQTT would. Started before any probe runs, so the
  // first look at a page already finds the bulletin aired before the demo started.
  let bulletins: BulletinPlayer | undefined;
  if (config.service.simulator.enabled && (gateways || standIns)) {
    const g = gateways;
    const pages = standIns;
    bulletins = new BulletinPlayer({
      broadcasts: config.communes.flatMap((c) =>
        c.broadcasts.map((b) => ({ ...b, communeId: c.commune.id })),
      ),
      speakers: [...directory.all()].filter((d) => d.type.kind === 'loudspeaker' && probed.has(d.id)),
      send: (deviceId, doc) => (pages?.played(deviceId, doc) ?? false) || (g?.event(deviceId, doc) ?? false),
      log,
    });
    bulletins.start();
  }
  // The demo's probed Wi-Fi APs report their clients through their probe gateway, as the snmp
  // probe would read them from the AP (the demo has no SNMP agent), a week back at once.
  let apClients: ApClientsPlayer | undefined;
  if (config.service.simulator.enabled && gateways) {
    const g = gateways;
    apClients = new ApClientsPlayer({
      apIds: [...directory.all()]
        .filter((d) => d.type.kind === 'wifi-ap' && probed.has(d.id))
        .map((d) => d.id),
      send: (deviceId, doc) => g.telemetry(deviceId, doc),
      everyMs: Math.max(1000, 120_000 / config.service.simulator.speed),
      log,
    });
    apClients.start();
  }
  let simulator: Simulator | undefined;
  if (config.service.simulator.enabled) {
    simulator = new Simulator({
      mqttUrl,
      // Probed devices (lines, Wi-Fi APs, loudspeakers in the samples) speak no MQTT of their own:
      // the probe runtime reports for them, the stand-ins above play them.
      devices: [...directory.all()].filter((d) => !probed.has(d.id)),
      passwords: devicePasswords,
      speed: config.service.simulator.speed,
      flakyShare: config.service.simulator.flakyShare,
      log,
    });
    await simulator.start();
  }
  let trouble: DemoTrouble | undefined;
  if (config.service.simulator.enabled && config.service.demo.troubleAtStart) {
    trouble = new DemoTrouble({
      plan: planTrouble(troubleCandidates(config, directory)),
      simulator,
      standIns,
      ...(standIns ? { cameras: standIns.cameras } : {}),
      maintain: (id, untilTs) =>
        availability.setMaintenance(id, true, 'demo', {
          reason: 'Thay bộ nguồn (dữ liệu mẫu) / Power supply replacement (demo)',
          untilTs,
        }),
      speed: config.service.simulator.speed,
      log,
    });
    await trouble.start();
  }
  log.info(
    {
      api: apiUrl || null,
      mqtt: mqttUrl,
      devices: directory.byId.size,
      ingest: config.service.ingest.source,
    },
    'started',
  );

  let stopped = false;
  return {
    apiUrl,
    mqttUrl,
    mqttPort,
    db,
    store,
    directory,
    availability,
    ingest,
    users,
    bus,
    apiKeys,
    ioc,
    alerting,
    generatedUserPasswords,
    devicePasswords,
    simulator,
    gateways,
    snapshots,
    probeStandIns: standIns,
    async stop() {
      if (stopped) return;
      stopped = true;
      trouble?.stop();
      await simulator?.stop();
      bulletins?.stop();
      apClients?.stop();
      await gateways?.stop();
      await standIns?.stop();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
      await side.stopInput?.();
      await ioc.stop();
      await reports.stop();
      await alerting.stop();
      await side.stop();
      rejects.stop();
      await retention.stop();
      await store.close();
      snapshots.close();
      db.close();
      log.info('stopped');
    },
  };
}

/** Ingest figures, and a flush that resolves once what was accepted so far is in the store. */
export type FlushableIngest = IngestStats & { flush(): Promise<void> };

/** Where messages come from and what ingests them: the embedded broker, or external-broker shards. */
interface IngestSide {
  readonly availability: LiveStates;
  readonly ingest: FlushableIngest;
  readonly mqttUrl: string;
  readonly mqttPort: number;
  readonly brokerStats: () => object;
  /**
   * Marks devices `unknown` with the service's own reason (nobody watches them: their built-in probe
   * gateway could not start). External broker: only the devices of communes held here now.
   */
  readonly notWatched: (deviceIds: readonly string[], reason: Reason) => void;
  /** Closes a device's MQTT connection (embedded broker only); true if it was connected. */
  readonly disconnect?: (clientId: string) => boolean;
  /** Stops taking messages in (before the IOC feed stops). */
  readonly stopInput?: () => Promise<void>;
  /** Writes out everything accepted, then stops. */
  readonly stop: () => Promise<void>;
}

/**
 * The default ingest side: the embedded aedes broker feeding one Ingest and one availability
 * engine over every commune, in this process.
 */
async function startEmbeddedIngest(d: {
  config: Config;
  db: Db;
  store: Store;
  rejects: RejectLog;
  bus: EventBus;
  directory: DeviceDirectory;
  intervals: IntervalLog;
  credentials: DeviceCredentials;
  clock: () => number;
  log: Logger;
  onStored: (minTs: number) => void;
}) {
  const { config, db, store, rejects, bus, directory, intervals, credentials, clock, log } = d;
  const availability = new AvailabilityEngine({
    directory,
    intervals,
    runs: new ServiceRuns(db),
    clock,
    checkIntervalMs: config.service.availability.checkIntervalMs,
    aliveIntervalMs: config.service.availability.aliveIntervalMs,
    onChange: (c) => bus.emitState(c),
    onHeard: (rows) => bus.emitHeard(rows),
    log: log.child({ mod: 'availability' }),
  });
  availability.start();
  const spool = new Spool(join(config.paths.dataDir, 'spool', 'spool.sqlite'), {
    ...config.service.spool,
    log: log.child({ mod: 'spool' }),
  });
  spool.open();
  const ingest = new Ingest({
    directory,
    availability,
    onStored: d.onStored,
    store,
    rejects,
    spool,
    db,
    clock,
    batchMaxSize: config.service.ingest.batchMaxSize,
    batchMaxDelayMs: config.service.ingest.batchMaxDelayMs,
    ...(config.service.ingest.directWrites && isMarkingStore(store) ? { directTo: store } : {}),
    log: log.child({ mod: 'ingest' }),
  });
  ingest.start();
  const broker = new Broker({
    config: config.service.mqtt,
    directory,
    credentials,
    rejects,
    onPublish: (msg, done) => ingest.accept(msg, done),
    onConnectionClosed: (connection, clean) => ingest.connectionClosed(connection, clean),
    // The receive clock (receivedTs) is the service's, as everywhere else.
    clock,
    log,
  });
  const { port: mqttPort } = await broker.start();
  const mqttUrl = `mqtt://${config.service.mqtt.host === '0.0.0.0' ? '127.0.0.1' : config.service.mqtt.host}:${mqttPort}`;
  return {
    availability,
    ingest,
    mqttUrl,
    mqttPort,
    brokerStats: () => broker.stats(),
    notWatched: (deviceIds: readonly string[], reason: Reason) => {
      for (const id of deviceIds) availability.status(id, 'unknown', clock(), reason);
    },
    disconnect: (clientId: string) => broker.disconnect(clientId),
    stopInput: () => broker.stop(),
    stop: async () => {
      await ingest.stop();
      availability.stop();
      await spool.close();
    },
  };
}
