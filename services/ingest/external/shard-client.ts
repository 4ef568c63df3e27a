import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { type TlsSettings, tlsClientOptions } from '../../../gateway/runtime/tls.ts';
import type { Logger } from '../../shared/logger.ts';

export interface ShardClientOptions {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** For mqtts:// to a broker whose certificate a private CA signed. */
  readonly tls?: TlsSettings | undefined;
  /** Fixed per shard: the broker keeps one session under it and allows one connection at a time. */
  readonly clientId: string;
  readonly topicFilters: readonly string[];
  /** How long the broker keeps the session (and queues for it) while no worker is connected. */
  readonly sessionExpirySec: number;
  /**
   * Called for every message, synchronously; the PUBACK is sent only after it returns, so what it
   * made durable is durable before the broker forgets the message. Throwing withholds the PUBACK.
   */
  /** Calls `durable` once the message is in the spool: only then is the PUBACK sent. */
  readonly onMessage: (topic: string, payload: Buffer, delivery: Delivery, durable: () => void) => void;
  /**
   * Connected without a session (CONNACK Session Present 0: a first start, or a broker that lost
   * it): nothing it delivered before can be delivered again.
   */
  readonly onSessionLost?: () => void;
  /** Asked before every reconnect: a worker that lost its lease must not take the session back. */
  readonly stillHolds: () => boolean;
  readonly log: Logger;
}

/** How the broker delivered a message to our session. */
export interface Delivery {
  readonly qos: number;
  readonly dup: boolean;
  /** The broker's packet identifier in our session: a redelivery keeps it (MQTT 5 §4.4). */
  readonly packetId: number | undefined;
  /** Which of this client's connections it came on (1, 2, …): a redelivery comes on a later one. */
  readonly connection: number;
}

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;

/**
 * One MQTT v5 session for one shard (a commune's topics). The session is persistent (Clean Start
 * 0, a long Session Expiry Interval, MQTT 5 §3.1.2.4 and §3.1.2.11.2), so messages published while
 * no worker holds the shard are queued by the broker and delivered to the next holder, and QoS 1
 * messages delivered but not acknowledged are sent again, DUP set (§4.4). Connecting with the same
 * client id takes the session over and closes the previous connection (§3.1.4-3).
 */
export class ShardClient {
  private readonly o: ShardClientOptions;
  private client: MqttClient | null = null;
  private stopping = false;
  private failures = 0;
  private retry: NodeJS.Timeout | null = null;
  private subscribedOnce = false;
  private connection = 0;

  constructor(opts: ShardClientOptions) {
    this.o = opts;
  }

  /** Connects and subscribes in the background; reconnects with backoff while the lease is ours. */
  start(): void {
    const { o } = this;
    const client = mqtt.connect(o.url, {
      protocolVersion: 5,
      clientId: o.clientId,
      clean: false,
      properties: { sessionExpiryInterval: o.sessionExpirySec },
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      // Reconnects are ours (see onClose): mqtt.js would also retry after a session takeover.
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: 10_000,
      ...tlsClientOptions(o.tls),
    });
    // Set before the first packet: a present session's queue arrives right after CONNACK.
    client.handleMessage = (packet: IPublishPacket, done) => {
      try {
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        const delivery = {
          qos: packet.qos,
          dup: packet.dup,
          packetId: packet.qos > 0 ? packet.messageId : undefined,
          connection: this.connection,
        };
        o.onMessage(packet.topic, payload, delivery, () => done());
      } catch (err) {
        o.log.error({ err, topic: packet.topic }, 'message not acknowledged: ingest failed');
        done(err as Error);
      }
    };
    client.on('connect', (connack) => this.onConnect(connack.sessionPresent));
    // Numbered before CONNACK is handled: a present session's redeliveries follow it at once.
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'connack') this.connection += 1;
    });
    client.on('close', () => this.onClose());
    client.on('error', (err) => o.log.warn({ err, clientId: o.clientId }, 'shard connection error'));
    this.client = client;
  }

  /** Disconnects normally: the session (and anything unacknowledged) stays with the broker. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    // A normal DISCONNECT waits for the socket; a broker that stopped answering must not hold up
    // the lease round that is handing this shard back.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)));
    if (await Promise.race([client.endAsync().then(() => false), gaveUp])) client.end(true);
    clearTimeout(timer);
  }

  connected(): boolean {
    return this.client?.connected ?? false;
  }

  private onConnect(sessionPresent: boolean): void {
    const { o, client } = this;
    this.failures = 0;
    o.log.info({ clientId: o.clientId, sessionPresent }, 'shard connected');
    if (!sessionPresent) o.onSessionLost?.();
    // Retain Handling 2: no retained messages at subscribe time. They are last-known states, not
    // news, and would be taken as fresh evidence stamped with our receive clock (§3.8.3.1).
    const filters = [...o.topicFilters];
    client!.subscribe(filters, { qos: 1, rh: 2 }, (err, granted) => {
      if (err) return o.log.warn({ err, filters }, 'subscribe failed');
      const refused = (granted ?? []).filter((g) => g.qos !== 1);
      if (refused.length > 0 || (granted ?? []).length !== filters.length)
        return o.log.error(
          { filters, refused: refused.map((g) => ({ filter: g.topic, code: g.qos })) },
          'broker refused the shard subscription: check the ingest user ACL',
        );
      if (!this.subscribedOnce) o.log.info({ filters }, 'shard subscribed');
      this.subscribedOnce = true;
    });
  }

  private onClose(): void {
    if (this.stopping || this.retry) return;
    if (!this.o.stillHolds()) {
      this.o.log.info({ clientId: this.o.clientId }, 'shard connection closed; lease gone, not reconnecting');
      return;
    }
    const delayMs = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(this.failures++, 5));
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.stopping && this.o.stillHolds()) this.client?.reconnect();
    }, delayMs);
  }
}
