import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { z } from 'zod';
import {
  CHIRPSTACK_EVENTS,
  CHIRPSTACK_TOPIC_TEMPLATE,
  chirpStackTopic,
} from '../../services/protocol/chirpstack-topics.ts';
import { topicFor } from '../../services/protocol/topics.ts';
import type { Logger } from '../runtime/logger.ts';
import { TlsSchema, tlsClientOptions } from '../runtime/tls.ts';

/**
 * The ChirpStack bridge's config (a gateway file's `lorawan:` section, or a test's). ChirpStack's
 * MQTT integration publishes on `event_topic`, by default
 * application/{application_id}/device/{dev_eui}/event/{event}; any template naming the three
 * placeholders, each a whole topic level, is read.
 */
export const BridgeConfigSchema = z.strictObject({
  /** ChirpStack's broker: mqtt:// or mqtts://. */
  url: z.string().regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL'),
  username: z.string().optional(),
  /** Never logged. */
  password: z.string().optional(),
  /** Persistent session on ChirpStack's broker: what it publishes while we are away is kept for us. */
  clientId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .default('canhxa-lorawan-bridge'),
  tls: TlsSchema.optional(),
  topicTemplate: z
    .string()
    .refine((t) => ['{application_id}', '{dev_eui}', '{event}'].every((p) => t.split('/').includes(p)), {
      message: 'must name {application_id}, {dev_eui} and {event}, each as a whole topic level',
    })
    .default(CHIRPSTACK_TOPIC_TEMPLATE),
  /** The ChirpStack applications to relay: the network server account's applicationIds. */
  applicationIds: z.array(z.string().min(1)).min(1),
});
export type BridgeConfig = z.output<typeof BridgeConfigSchema>;

/** Where relayed events go: the gateway runtime's disk-buffered publisher (publisher.ts). */
export interface ForwardSink {
  forward(topic: string, payload: string): void;
}

export interface BridgeStats {
  readonly connected: boolean;
  readonly relayed: number;
  /** Messages on a topic the template does not match, or of an event or application not relayed. */
  readonly skipped: number;
}

/** A template as a matcher: each placeholder one topic level. */
export function templateMatcher(template: string): (topic: string) => Record<string, string> | null {
  const levels = template.split('/');
  return (topic) => {
    const parts = topic.split('/');
    if (parts.length !== levels.length) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i]!;
      if (/^\{\w+\}$/.test(l)) out[l.slice(1, -1)] = parts[i]!;
      else if (l !== parts[i]) return null;
    }
    return out;
  };
}

/**
 * Subscribes to ChirpStack's own MQTT broker and relays its integration events, unchanged, into
 * ours on application/{application_id}/device/{dev_eui}/event/{event}, as the network server
 * account (a device with these applicationIds). Decoding is not done here but in ingest, so both
 * ways in (a network server publishing into the embedded broker, or this bridge) meet one decoder,
 * one reject log and one frame-counter state. Every event goes to the disk buffer before ChirpStack's
 * broker gets its PUBACK (mqtt.js acknowledges after the message handler returns), so an outage of
 * our broker loses nothing; the persistent session covers a restart of the bridge.
 */
export class ChirpStackBridge {
  private client: MqttClient | null = null;
  private relayed = 0;
  private skipped = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly match: ReturnType<typeof templateMatcher>;

  constructor(
    private readonly config: BridgeConfig,
    private readonly sink: ForwardSink,
    private readonly account: { readonly communeId: string; readonly deviceId: string },
    private readonly log: Logger,
    private readonly heartbeatSec = 60,
  ) {
    this.match = templateMatcher(config.topicTemplate);
  }

  /** Connects and subscribes; resolves once subscribed (mqtt.js keeps reconnecting after that). */
  async start(): Promise<void> {
    const c = this.config;
    const opts: IClientOptions = {
      clientId: c.clientId,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 2000,
      ...(c.username === undefined ? {} : { username: c.username }),
      ...(c.password === undefined ? {} : { password: c.password }),
      ...tlsClientOptions(c.tls),
    };
    const client = mqtt.connect(c.url, opts);
    this.client = client;
    client.on('message', (topic, payload) => this.relay(topic, payload));
    client.on('error', (err) => this.log.warn({ err }, 'ChirpStack broker connection error'));
    client.on('close', () => this.log.debug('ChirpStack broker connection closed'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const filters = c.applicationIds.map((app) =>
      c.topicTemplate.replace('{application_id}', app).replace('{dev_eui}', '+').replace('{event}', '+'),
    );
    await client.subscribeAsync(filters, { qos: 1 });
    this.log.info({ applications: c.applicationIds.length }, 'ChirpStack bridge subscribed');
    // The account's own sign of life on our side: a quiet farm at night is not a dead bridge.
    const beat = () =>
      this.sink.forward(
        topicFor(this.account.communeId, this.account.deviceId, 'heartbeat'),
        JSON.stringify({ v: 1, ts: Date.now() }),
      );
    beat();
    this.heartbeat = setInterval(beat, this.heartbeatSec * 1000);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const client = this.client;
    this.client = null;
    await client?.endAsync().catch((err) => this.log.warn({ err }, 'ChirpStack broker end failed'));
  }

  stats(): BridgeStats {
    return { connected: this.client?.connected ?? false, relayed: this.relayed, skipped: this.skipped };
  }

  private relay(topic: string, payload: Buffer): void {
    const m = this.match(topic);
    const app = m?.application_id;
    const eui = m?.dev_eui;
    const event = m?.event;
    if (
      !app ||
      !eui ||
      !event ||
      !this.config.applicationIds.includes(app) ||
      !(CHIRPSTACK_EVENTS as readonly string[]).includes(event)
    ) {
      this.skipped++;
      this.log.debug({ topic }, 'ChirpStack message not relayed');
      return;
    }
    // Unchanged bytes: ingest judges them (an unknown DevEUI or a bad envelope lands in its reject log).
    this.sink.forward(chirpStackTopic(app, eui, event), payload.toString('utf8'));
    this.relayed++;
  }
}
