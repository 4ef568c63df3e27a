import { join } from 'node:path';
import type { Config } from '../../config/load.ts';
import type { InventoryProbeTarget } from '../../config/probe-targets.ts';
import { probes } from '../../gateway/probes/registry.ts';
import { bindCameraSink, type CameraSnapshotSink } from '../../gateway/probes/support/camera-sink.ts';
import type { EventDoc, TelemetryDoc } from '../../gateway/probes/wire.ts';
import type { GatewayConfig, GatewayTarget } from '../../gateway/runtime/config.ts';
import { GatewayRuntime } from '../../gateway/runtime/gateway.ts';
import type { Logger } from '../shared/logger.ts';

/** A built-in gateway that could not start and the probed devices it would report for. */
export interface NotRunning {
  readonly gatewayId: string;
  readonly deviceIds: readonly string[];
}

/** Rows kept per commune while the (embedded) broker does not acknowledge; as the gateway's default. */
const BUFFER_MAX_ROWS = 200_000;

/**
 * The probe runtime inside the service (`gateway.embedded`, the default): one GatewayRuntime per
 * commune, an MQTT client of the embedded broker with the commune's built-in gateway identity
 * (`<commune>-probe`) and its generated password, exactly as a box at a hamlet would be. Its
 * verdicts and metrics therefore take the one ingest path (ACL, schema, spool, availability,
 * store) like any adapter's.
 */
export class EmbeddedGateways {
  private readonly runtimes: GatewayRuntime[] = [];
  private readonly configs: GatewayConfig[] = [];
  private readonly log: Logger;

  constructor(opts: {
    config: Config;
    mqttUrl: string;
    /** Device MQTT passwords (device-secrets.json): the gateways' own are among them. */
    passwords: ReadonlyMap<string, string>;
    log: Logger;
    /** Where camera probes leave their snapshots and read approved references (services/cameras/). */
    snapshots?: CameraSnapshotSink;
  }) {
    const { config } = opts;
    this.log = opts.log;
    const byGateway = new Map<string, InventoryProbeTarget[]>();
    for (const t of config.probeTargets) {
      // In process, the snapshots go straight to the store: binary, never through MQTT.
      if (opts.snapshots && t.kind === 'onvif')
        bindCameraSink(t.config as object, t.deviceId, opts.snapshots);
      byGateway.set(t.gatewayId, [...(byGateway.get(t.gatewayId) ?? []), t]);
    }
    const ingest = config.service.ingest;
    const tls = ingest.source === 'external' ? ingest.external?.tls : undefined;
    for (const [gatewayId, targets] of byGateway) {
      const password = opts.passwords.get(gatewayId);
      if (!password) throw new Error(`embedded probe gateway ${gatewayId} has no MQTT password`);
      const g: GatewayConfig = {
        gatewayId,
        // The external broker's TLS settings are the gateways' too: they log in to the same broker.
        broker: { url: opts.mqttUrl, password, ...(tls ? { tls } : {}) },
        // Its own folder: the ingest spool's may be unusable (a full or read-only disk) without this.
        bufferFile: join(config.paths.dataDir, 'gateway', `probe-${gatewayId}.sqlite`),
        bufferMaxRows: BUFFER_MAX_ROWS,
        concurrency: config.service.gateway.concurrency,
        jitterPct: config.service.gateway.jitterPct,
        statusRefreshSec: config.service.gateway.statusRefreshSec,
        targets: targets.map(
          (t): GatewayTarget => ({
            device: t.deviceId,
            commune: t.communeId,
            probe: probes.get(t.kind)!,
            config: t.config as GatewayTarget['config'],
            intervalSec: t.intervalSec,
            timeoutMs: t.timeoutMs,
            retries: t.retries,
            confirmations: t.confirmations,
          }),
        ),
      };
      this.configs.push(g);
      this.runtimes.push(
        new GatewayRuntime(g, { log: opts.log, heartbeatSec: config.service.gateway.heartbeatSec }),
      );
    }
  }

  get size(): number {
    return this.runtimes.length;
  }

  /**
   * Starts every commune's runtime. One that cannot start (its disk buffer cannot be opened) is
   * logged for a person to act on and left out: the service, and the other communes' probes, run.
   * Returns those that did not start, with the devices nobody watches now (the caller marks them
   * `unknown / adapter-not-running`: not watched is not down).
   */
  start(): NotRunning[] {
    const failed: NotRunning[] = [];
    for (const [i, r] of this.runtimes.entries()) {
      try {
        r.start();
      } catch (err) {
        const g = this.configs[i]!;
        this.log.error({ err, gatewayId: g.gatewayId }, 'embedded probe gateway cannot start');
        failed.push({ gatewayId: g.gatewayId, deviceIds: g.targets.map((t) => t.device) });
      }
    }
    return failed;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.runtimes.map((r) => r.stop()));
  }

  /** Sends an event for a probed device through the gateway that reports for it; false if none does. */
  event(deviceId: string, doc: EventDoc): boolean {
    return this.runtimes.some((r) => r.event(deviceId, doc));
  }

  /** Sends measurements for a probed device through the gateway that reports for it; false if none does. */
  telemetry(deviceId: string, doc: TelemetryDoc): boolean {
    return this.runtimes.some((r) => r.telemetry(deviceId, doc));
  }

  stats() {
    return this.runtimes.map((r) => r.stats());
  }
}
