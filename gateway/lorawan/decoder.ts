import type { ZodError } from 'zod';
import { parseChirpStackTopic } from '../../services/protocol/chirpstack-topics.ts';
import type { Channel } from '../../services/protocol/topics.ts';
import type { PayloadCodec } from './codecs/codec.ts';
import { EVENT_SCHEMAS } from './envelope.ts';
import { EVENT_HANDLERS, type EventContext } from './events.ts';
import { type LinkState, newLinkState } from './link-health.ts';

/**
 * Where sensors' link states outlive the process. `load` runs once per sensor, at its first event
 * after start; `save` after every event that reached the sensor's handler. Both synchronous: the
 * decoder is on the broker's hot path and a LoRa sensor sends a frame every few minutes.
 */
export interface LinkStatePersistence {
  load(devEui: string): LinkState | undefined;
  save(sensor: LorawanSensor, state: LinkState): void;
}

/** A LoRaWAN sensor of the inventory, as the decoder needs it (the service's config fits it). */
export interface LorawanSensor {
  readonly deviceId: string;
  readonly communeId: string;
  /** Lower-case, 16 hex digits. */
  readonly devEui: string;
  readonly codec: PayloadCodec;
  /** Accounts that may publish for it: its network server(s). */
  readonly reportedBy: readonly string[];
  /** The same moisture reading this long (ms) is a broken probe. */
  readonly frozenAfterMs: number;
}

/** One cx/v1 document for the one ingest path: the sensor's heartbeat, telemetry, event or status. */
export interface WireMessage {
  readonly communeId: string;
  readonly deviceId: string;
  readonly channel: Channel;
  readonly doc: Readonly<Record<string, unknown>>;
}

/** Why a ChirpStack message (or part of one) was refused; shown as `reject.<reason>`. Never rename one. */
export const LORAWAN_REJECT_REASONS = [
  'lorawan-envelope',
  'lorawan-unknown-dev-eui',
  'lorawan-forbidden-application',
  'lorawan-undecodable',
  'lorawan-wrong-fport',
  'lorawan-duplicate-frame',
] as const;
export type LorawanRejectReason = (typeof LORAWAN_REJECT_REASONS)[number];

export interface LorawanReject {
  readonly reason: LorawanRejectReason;
  readonly detail: string;
}

/**
 * What one ChirpStack message becomes. A frame the codec cannot read still proves the sensor
 * alive: its heartbeat and link metrics go on beside the reject, so a broken probe is not
 * mistaken for a dead radio.
 */
export interface Translation {
  readonly sensor: LorawanSensor | undefined;
  readonly messages: readonly WireMessage[];
  readonly rejects: readonly LorawanReject[];
}

function issues(err: ZodError): string {
  return err.issues
    .slice(0, 4)
    .map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
    .join('; ');
}

/**
 * ChirpStack v4 integration events (JSON) → the sensor's cx/v1 documents. Pure apart from each
 * sensor's link state (frame counter, frozen reading, joins). Never throws on input: every bad
 * message is a reject with its reason.
 */
export class LorawanDecoder {
  private readonly byEui: ReadonlyMap<string, LorawanSensor>;
  private readonly links = new Map<string, LinkState>();

  private readonly persistence: LinkStatePersistence | undefined;

  constructor(sensors: Iterable<LorawanSensor>, persistence?: LinkStatePersistence) {
    this.byEui = new Map([...sensors].map((s) => [s.devEui, s]));
    this.persistence = persistence;
  }

  /** The sensor's link state: in memory, else as last saved, else new. */
  private linkOf(devEui: string): LinkState {
    let link = this.links.get(devEui);
    if (!link) {
      link = this.persistence?.load(devEui) ?? newLinkState();
      this.links.set(devEui, link);
    }
    return link;
  }

  get size(): number {
    return this.byEui.size;
  }

  /** `publisherId`: the authenticated account that published it; `receivedTs`: our clock. */
  translate(topic: string, payload: Buffer | string, publisherId: string, receivedTs: number): Translation {
    const refuse = (reason: LorawanRejectReason, detail: string, sensor?: LorawanSensor): Translation => ({
      sensor,
      messages: [],
      rejects: [{ reason, detail }],
    });
    const t = parseChirpStackTopic(topic);
    if (!t)
      return refuse(
        'lorawan-envelope',
        'expected application/{application_id}/device/{dev_eui}/event/{event}',
      );
    const schema = EVENT_SCHEMAS[t.event as keyof typeof EVENT_SCHEMAS];
    if (!schema)
      return refuse(
        'lorawan-envelope',
        `event "${t.event}" is not one of ${Object.keys(EVENT_SCHEMAS).join(', ')}`,
      );
    const sensor = this.byEui.get(t.devEui);
    if (!sensor)
      return refuse(
        'lorawan-unknown-dev-eui',
        `DevEUI ${t.devEui} is no device's devEui in any commune file`,
      );
    if (!sensor.reportedBy.includes(publisherId))
      return refuse(
        'lorawan-forbidden-application',
        `"${publisherId}" is not in ${sensor.deviceId}'s reportedBy`,
        sensor,
      );
    let json: unknown;
    try {
      json = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
    } catch (err) {
      return refuse('lorawan-envelope', `not JSON: ${(err as Error).message}`, sensor);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) return refuse('lorawan-envelope', `${t.event}: ${issues(parsed.error)}`, sensor);
    const doc = parsed.data;
    if (doc.deviceInfo.devEui.toLowerCase() !== t.devEui)
      return refuse(
        'lorawan-envelope',
        `deviceInfo.devEui ${doc.deviceInfo.devEui} is not the topic's ${t.devEui}`,
        sensor,
      );
    if (doc.deviceInfo.applicationId !== t.applicationId)
      return refuse(
        'lorawan-forbidden-application',
        `deviceInfo.applicationId ${doc.deviceInfo.applicationId} is not the topic's ${t.applicationId}`,
        sensor,
      );
    // The uplink's own time keys its readings, so a resent frame lands on the same key.
    const ts = doc.time === undefined ? receivedTs : Date.parse(doc.time);
    const link = this.linkOf(sensor.devEui);
    const ctx: EventContext = { sensor, link, ts, messages: [], rejects: [] };
    (EVENT_HANDLERS[t.event as keyof typeof EVENT_HANDLERS] as (c: EventContext, d: unknown) => void)(
      ctx,
      doc,
    );
    this.persistence?.save(sensor, link);
    return { sensor, messages: ctx.messages, rejects: ctx.rejects };
  }
}
