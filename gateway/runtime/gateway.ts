import { bindCameraSink } from '../probes/support/camera-sink.ts';
import { type EventDoc, GATEWAY_HEALTH, probeErrorMetric, type TelemetryDoc } from '../probes/wire.ts';
import type { GatewayConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { Publisher, type PublisherStats } from './publisher.ts';
import { Scheduler, type Timers } from './scheduler.ts';
import { SnapshotUploader } from './snapshot-uploader.ts';

/**
 * The probe runtime: scheduler → publisher. The same class runs on a box at a hamlet
 * (gateway/main.ts, `npm run gateway`) and, at merge, inside the service. Constructing it opens
 * nothing; start() opens the buffer, connects and schedules; stop() ends runs, then the connection.
 */
export class GatewayRuntime {
  private readonly publisher: Publisher;
  private readonly scheduler: Scheduler;
  private readonly log: Logger;
  private readonly config: GatewayConfig;
  private readonly clock: () => number;
  private readonly heartbeatSec: number;
  /** Camera snapshots to the service's store over HTTP, when the file names its API. */
  readonly snapshots: SnapshotUploader | undefined;
  private beat: NodeJS.Timeout | undefined;
  private startedMs = 0;

  constructor(
    config: GatewayConfig,
    opts: {
      log: Logger;
      clock?: () => number;
      timers?: Timers;
      random?: () => number;
      /** The gateway's own heartbeat period; its device type allows 60 s + 60 s grace. */
      heartbeatSec?: number;
    },
  ) {
    this.config = config;
    this.clock = opts.clock ?? Date.now;
    this.heartbeatSec = opts.heartbeatSec ?? 30;
    this.log = opts.log.child({ mod: 'gateway', gatewayId: config.gatewayId });
    this.publisher = new Publisher({
      url: config.broker.url,
      gatewayId: config.gatewayId,
      password: config.broker.password,
      tls: config.broker.tls,
      bufferFile: config.bufferFile,
      bufferMaxRows: config.bufferMaxRows,
      log: this.log,
      onConnect: () => this.sendBeat(),
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    if (config.snapshotUploadUrl) {
      const uploader = new SnapshotUploader({
        apiUrl: config.snapshotUploadUrl,
        gatewayId: config.gatewayId,
        password: config.broker.password,
        log: this.log,
      });
      for (const t of config.targets)
        if (t.probe.kind === 'onvif') bindCameraSink(t.config as object, t.device, uploader);
      this.snapshots = uploader;
    }
    this.scheduler = new Scheduler({
      targets: config.targets.map((t) => ({
        deviceId: t.device,
        communeId: t.commune,
        probe: t.probe,
        config: t.config,
        intervalSec: t.intervalSec,
        timeoutMs: t.timeoutMs,
        retries: t.retries,
        confirmations: t.confirmations,
      })),
      sink: this.publisher,
      concurrency: config.concurrency,
      jitterPct: config.jitterPct,
      statusRefreshSec: config.statusRefreshSec,
      log: this.log,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  start(): void {
    this.publisher.start();
    this.scheduler.start();
    this.startedMs = this.clock();
    this.beat = setInterval(() => this.sendBeat(), this.heartbeatSec * 1000).unref();
  }

  /**
   * A gateway is a device too: it says it is alive, under its targets' commune (a reporter is
   * always in the commune of the devices it reports for).
   */
  private sendBeat(): void {
    const communeId = this.config.targets[0]?.commune;
    if (!communeId) return;
    const now = this.clock();
    this.publisher.heartbeat(communeId, {
      v: 1,
      ts: now,
      uptimeSec: Math.round((now - this.startedMs) / 1000),
    });
    this.publisher.ownTelemetry(communeId, this.health(now));
  }

  /**
   * Its health as its own telemetry (names: GATEWAY_HEALTH in services/protocol/metrics.ts): targets,
   * runs, scheduling lag, buffered and dropped messages, and runs per trouble reason since start.
   */
  health(now = this.clock()): TelemetryDoc {
    const s = this.scheduler.stats();
    const p = this.publisher.stats();
    const lag = this.scheduler.lagPercentiles();
    const metrics: Record<string, number> = {
      [GATEWAY_HEALTH.targets]: s.targets.length,
      [GATEWAY_HEALTH.runs]: s.runs,
      [GATEWAY_HEALTH.lagP50Ms]: Math.round(lag.p50),
      [GATEWAY_HEALTH.lagP99Ms]: Math.round(lag.p99),
      [GATEWAY_HEALTH.buffered]: p.buffered,
      [GATEWAY_HEALTH.dropped]: p.dropped,
    };
    for (const t of s.targets)
      for (const [code, n] of Object.entries(t.byReason)) {
        if (code === 'ok') continue;
        const m = probeErrorMetric(code);
        metrics[m] = (metrics[m] ?? 0) + n;
      }
    return { v: 1, ts: now, metrics };
  }

  /**
   * Relays an event about one of this gateway's targets (e.g. a loudspeaker controller's
   * `broadcast-played`), buffered and sent in order like a probe's result. False, and nothing sent,
   * for a device this gateway does not watch: the broker would refuse it anyway.
   */
  event(deviceId: string, doc: EventDoc): boolean {
    const t = this.config.targets.find((x) => x.device === deviceId);
    if (!t) return false;
    this.publisher.event({ deviceId, communeId: t.commune }, doc);
    return true;
  }

  /**
   * Relays measurements about one of its targets that came from elsewhere than a probe run (an AP
   * controller's client counts), buffered and in order like a probe's; false for a device it does
   * not watch.
   */
  telemetry(deviceId: string, doc: TelemetryDoc): boolean {
    const t = this.config.targets.find((x) => x.device === deviceId);
    if (!t) return false;
    this.publisher.telemetry({ deviceId, communeId: t.commune }, doc);
    return true;
  }

  async stop(): Promise<void> {
    clearInterval(this.beat);
    await this.scheduler.stop();
    await this.snapshots?.stop();
    await this.publisher.stop();
    this.log.info('gateway stopped');
  }

  stats(): { publisher: PublisherStats; scheduler: ReturnType<Scheduler['stats']> } {
    return { publisher: this.publisher.stats(), scheduler: this.scheduler.stats() };
  }
}
