import { join } from 'node:path';
import { AvailabilityEngine } from '../../availability/engine.ts';
import { DeviceDirectory } from '../../inventory/device-directory.ts';
import { isChirpStackTopic } from '../../protocol/chirpstack-topics.ts';
import { parseTopic, TOPIC_ROOT } from '../../protocol/topics.ts';
import type { Logger } from '../../shared/logger.ts';
import { Ingest } from '../ingest.ts';
import { Spool } from '../spool.ts';
import { type ChirpStackRoute, chirpStackRoutes } from './chirpstack-routes.ts';
import type { ExternalSourceDeps } from './external-source.ts';
import { type Fence, FencedIntervalLog, FencedServiceRuns } from './fencing.ts';
import { CHIRPSTACK_INGEST_FILTER } from './mosquitto-files.ts';
import { type Delivery, ShardClient } from './shard-client.ts';

export interface ShardDeps extends ExternalSourceDeps {
  readonly communeId: string;
  /** Lease check (a read of the lease table). */
  readonly holds: () => boolean;
  /** The shard's writes were refused because the lease moved on: stop it without releasing. */
  readonly onFenced: () => void;
}

/**
 * Everything one commune needs while this worker holds it: an availability engine over the
 * commune's devices (rebuilt from the database at takeover; the gap since the previous holder's
 * last sign of life is recorded as unknown), a spool file of its own, the ingest path, and the
 * broker session. The spool belongs to the shard, not the worker: when a worker dies, the next
 * holder opens the same file and replays what was acknowledged but not yet stored.
 */
export class Shard {
  readonly communeId: string;
  readonly engine: AvailabilityEngine;
  readonly ingest: Ingest;
  private readonly d: ShardDeps;
  private readonly spool: Spool;
  /** Our MQTT session's client id with the external broker (one per commune). */
  private readonly session: string;
  private readonly client: ShardClient;
  private readonly log: Logger;
  private readonly routeChirpStack: (topic: string) => ChirpStackRoute;

  constructor(d: ShardDeps) {
    this.d = d;
    this.communeId = d.communeId;
    const { config } = d;
    const log = d.log.child({ communeId: d.communeId });
    this.log = log.child({ mod: 'shard' });
    const directory = new DeviceDirectory({
      communes: config.communes.filter((c) => c.commune.id === d.communeId),
    });
    const fence: Fence = { db: d.db, holds: d.holds, onFenced: d.onFenced };
    this.engine = new AvailabilityEngine({
      directory,
      intervals: new FencedIntervalLog(fence),
      runs: new FencedServiceRuns(fence, d.communeId),
      clock: d.clock,
      checkIntervalMs: config.service.availability.checkIntervalMs,
      aliveIntervalMs: config.service.availability.aliveIntervalMs,
      onChange: (c) => d.bus.emitState(c),
      onHeard: (rows) => d.bus.emitHeard(rows),
      log: log.child({ mod: 'availability' }),
    });
    const file = join(config.paths.dataDir, 'spool', `shard-${d.communeId}.sqlite`);
    this.spool = new Spool(file, { ...config.service.spool, log: log.child({ mod: 'spool' }) });
    this.ingest = new Ingest({
      directory,
      availability: this.engine,
      store: d.store,
      rejects: d.rejects,
      spool: this.spool,
      db: d.db,
      clock: d.clock,
      batchMaxSize: config.service.ingest.batchMaxSize,
      batchMaxDelayMs: config.service.ingest.batchMaxDelayMs,
      log: log.child({ mod: 'ingest' }),
      ...(d.onStored ? { onStored: d.onStored } : {}),
    });
    this.routeChirpStack = chirpStackRoutes(config, d.communeId);
    const ext = config.service.ingest.external!;
    this.session = `${ext.clientIdPrefix}-${d.communeId}`;
    this.client = new ShardClient({
      url: ext.url,
      username: ext.username,
      password: ext.password,
      tls: ext.tls,
      clientId: this.session,
      // ChirpStack's topics do not name the commune: every shard takes them all and keeps its own.
      topicFilters: [`${TOPIC_ROOT}/${d.communeId}/#`, CHIRPSTACK_INGEST_FILTER],
      sessionExpirySec: ext.sessionExpirySec,
      onMessage: (topic, payload, delivery, durable) => this.onMessage(topic, payload, delivery, durable),
      onSessionLost: () => this.ingest.sessionLost(),
      stillHolds: d.holds,
      log: log.child({ mod: 'shard-client' }),
    });
  }

  /** Availability first (closes the previous holder's intervals), then the spool replay, then the session. */
  start(): void {
    this.engine.start();
    this.spool.open();
    this.ingest.start();
    this.client.start();
  }

  /**
   * Clean handover: stop receiving (unacknowledged messages stay in the broker session), store
   * what was spooled, mark the run stopped; the caller releases the lease afterwards. After a lost
   * lease the same steps run, and the fence drops the state writes; the store writes that remain
   * are idempotent, and the spool's ids are never reused, so draining it beside the new holder is safe.
   */
  async stop(): Promise<void> {
    await this.client.stop();
    await this.ingest.stop();
    this.engine.stop();
    await this.spool.close();
    const { accepted, rejected, redelivered, duplicatesSkipped } = this.ingest.stats();
    this.log.info({ accepted, rejected, redelivered, duplicatesSkipped }, 'shard stopped');
  }

  stats() {
    return {
      communeId: this.communeId,
      connected: this.client.connected(),
      ...this.ingest.stats(),
    };
  }

  private onMessage(topic: string, payload: Buffer, delivery: Delivery, durable: () => void): void {
    let device = parseTopic(topic)?.deviceId ?? '';
    if (isChirpStackTopic(topic)) {
      // The application's network server account is the publisher (chirpstack-routes.ts).
      const route = this.routeChirpStack(topic);
      if (!route.take) return durable();
      device = route.publisherId;
    }
    // The external broker authenticated the publisher and enforced its ACL (npm run
    // mosquitto-config); what reaches us is the device the topic names. MQTT does not tell a
    // subscriber who published, so the publisher is taken to be that device (HandlerContext). A
    // redelivery that this commune's spool already made durable (here or at the previous holder)
    // is skipped by ingest: the broker numbers what it delivers in our session (fixed client id per
    // commune), and a redelivery keeps that packet id, so the key is (session, the broker's packet
    // id, topic, bytes).
    this.ingest.accept(
      {
        topic,
        payload,
        qos: delivery.qos,
        dup: delivery.dup,
        packetId: delivery.packetId,
        session: this.session,
        connection: delivery.connection,
        clientId: device,
        deviceId: device,
        receivedTs: this.d.clock(),
      },
      durable,
    );
  }
}
