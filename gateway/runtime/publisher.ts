import mqtt, { type MqttClient } from 'mqtt';
import {
  type EventDoc,
  type StatusDoc,
  type TelemetryDoc,
  topicFor,
  type WireChannel,
} from '../probes/wire.ts';
import { DiskBuffer } from './disk-buffer.ts';
import type { Logger } from './logger.ts';
import type { ProbeTarget, ResultSink } from './scheduler.ts';
import { type TlsSettings, tlsClientOptions } from './tls.ts';

export interface PublisherOptions {
  /** mqtt://host:port or mqtts://… */
  readonly url: string;
  /** The gateway's device id: its MQTT client id and user name (services/broker/authenticate.ts). */
  readonly gatewayId: string;
  readonly password: string;
  /** For mqtts:// to a broker whose certificate a private CA signed. */
  readonly tls?: TlsSettings | undefined;
  readonly bufferFile: string;
  readonly bufferMaxRows: number;
  /** QoS 1 publishes awaiting their PUBACK at once. */
  readonly maxInFlight?: number;
  readonly reconnectPeriodMs?: number;
  readonly log: Logger;
  readonly clock?: () => number;
  /** Called on each (re)connection, e.g. to send the gateway's own heartbeat at once. */
  readonly onConnect?: () => void;
}

export interface PublisherStats {
  readonly connected: boolean;
  /** Messages on disk not yet acknowledged by the broker. */
  readonly buffered: number;
  readonly acknowledged: number;
  /** Refused because the buffer was full. */
  readonly dropped: number;
}

/**
 * Publishes results QoS 1 on `cx/v1/{commune}/{device}/{status|telemetry|event}` with the
 * gateway's own credentials. Every message is written to the disk buffer first and sent from it in
 * order; a row is deleted only on its PUBACK. While the broker is unreachable nothing is sent and
 * the buffer grows; when it is back, mqtt.js first re-sends what was in flight (its outgoing store,
 * in order) and emits `connect` only then, after which the pump goes on from the last id sent. So
 * messages reach the broker in the order they were made, with the timestamps they were made with.
 */
export class Publisher implements ResultSink {
  private readonly opts: PublisherOptions;
  private readonly log: Logger;
  private readonly buffer: DiskBuffer;
  private readonly maxInFlight: number;
  private readonly clock: () => number;
  private client: MqttClient | null = null;
  private readonly inFlight = new Set<number>();
  private lastSentId = 0;
  private acked = 0;

  constructor(opts: PublisherOptions) {
    this.opts = opts;
    this.log = opts.log.child({ mod: 'gateway.publisher' });
    this.buffer = new DiskBuffer({ file: opts.bufferFile, maxRows: opts.bufferMaxRows, log: opts.log });
    this.maxInFlight = opts.maxInFlight ?? 64;
    this.clock = opts.clock ?? Date.now;
  }

  /** Opens the buffer and starts connecting; returns at once (an unreachable broker is normal). */
  start(): void {
    this.buffer.open();
    const client = mqtt.connect(this.opts.url, {
      clientId: this.opts.gatewayId,
      username: this.opts.gatewayId,
      password: this.opts.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: this.opts.reconnectPeriodMs ?? 2000,
      connectTimeout: 10_000,
      ...tlsClientOptions(this.opts.tls),
    });
    client.on('connect', () => {
      this.log.info({ buffered: this.buffer.size }, 'gateway connected to the broker');
      this.pump();
      this.opts.onConnect?.();
    });
    client.on('close', () => this.log.debug('gateway connection closed'));
    client.on('error', (err) => this.log.warn({ err }, 'gateway MQTT error'));
    this.client = client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    // Not forced while connected: in-flight publishes may still get their PUBACK. Rows not
    // acknowledged stay on disk for the next run.
    if (client)
      await client
        .endAsync(!client.connected)
        .catch((err) => this.log.warn({ err }, 'gateway MQTT end failed'));
    this.buffer.close();
  }

  status(t: ProbeTarget, doc: StatusDoc): void {
    this.enqueue(t, 'status', doc);
  }

  telemetry(t: Pick<ProbeTarget, 'deviceId' | 'communeId'>, doc: TelemetryDoc): void {
    this.enqueue(t, 'telemetry', doc);
  }

  event(t: Pick<ProbeTarget, 'deviceId' | 'communeId'>, doc: EventDoc): void {
    this.enqueue(t, 'event', doc);
  }

  /**
   * Sends a message as it came, on its own topic (the ChirpStack bridge relaying an integration
   * event): on disk first and kept until its PUBACK, in order with the rest.
   */
  forward(topic: string, payload: string): void {
    if (this.buffer.append(topic, payload, this.clock())) this.pump();
  }

  /**
   * The gateway's own sign of life on its own heartbeat topic, sent only while connected and not
   * buffered: a heartbeat replayed after an outage would say nothing about now.
   */
  heartbeat(communeId: string, doc: { v: 1; ts: number; uptimeSec: number }): void {
    this.ownNow(communeId, 'heartbeat', doc);
  }

  /** The gateway's own health figures, like its heartbeat: about now, so sent only while connected. */
  ownTelemetry(communeId: string, doc: TelemetryDoc): void {
    this.ownNow(communeId, 'telemetry', doc);
  }

  private ownNow(communeId: string, channel: 'heartbeat' | 'telemetry', doc: object): void {
    const client = this.client;
    if (!client?.connected) return;
    client.publish(topicFor(communeId, this.opts.gatewayId, channel), JSON.stringify(doc), { qos: 0 });
  }

  stats(): PublisherStats {
    return {
      connected: this.client?.connected ?? false,
      buffered: this.buffer.size,
      acknowledged: this.acked,
      dropped: this.buffer.dropped,
    };
  }

  private enqueue(t: Pick<ProbeTarget, 'deviceId' | 'communeId'>, channel: WireChannel, doc: object): void {
    const topic = topicFor(t.communeId, t.deviceId, channel);
    if (this.buffer.append(topic, JSON.stringify(doc), this.clock())) this.pump();
  }

  private pump(): void {
    const client = this.client;
    if (!client?.connected) return;
    const room = this.maxInFlight - this.inFlight.size;
    if (room <= 0) return;
    for (const m of this.buffer.next(this.lastSentId, room)) {
      this.inFlight.add(m.id);
      this.lastSentId = m.id;
      client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
        this.inFlight.delete(m.id);
        if (err) {
          // Only on end() or a refused packet: the row stays and is sent again from here.
          this.lastSentId = Math.min(this.lastSentId, m.id - 1);
          this.log.debug({ err, id: m.id }, 'publish not acknowledged');
          return;
        }
        this.buffer.remove(m.id);
        this.acked++;
        this.pump();
      });
    }
  }
}
