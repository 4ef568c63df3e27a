/**
 * ChirpStack v4's MQTT integration topic tree, as the service reads it: a network server account
 * publishes its events into the embedded broker here, and the bridge (gateway/lorawan/bridge.ts)
 * republishes what it takes from ChirpStack's own broker here too, whatever template that one uses.
 * https://www.chirpstack.io/docs/chirpstack/integrations/mqtt.html ("event_topic")
 *
 *   application/{application_id}/device/{dev_eui}/event/{event}
 */
export const CHIRPSTACK_TOPIC_TEMPLATE = 'application/{application_id}/device/{dev_eui}/event/{event}';
export const CHIRPSTACK_ROOT = 'application';
/** The integration events the service reads (ChirpStack v4 integration.proto). */
export const CHIRPSTACK_EVENTS = ['up', 'status', 'join', 'ack', 'txack', 'log'] as const;
export type ChirpStackEvent = (typeof CHIRPSTACK_EVENTS)[number];

export interface ChirpStackTopic {
  readonly applicationId: string;
  /** Lower-case, 16 hex digits. */
  readonly devEui: string;
  /** The event segment as published; not necessarily one of CHIRPSTACK_EVENTS. */
  readonly event: string;
}

/** ChirpStack application ids are UUIDs; a plain segment is accepted for other network servers. */
const APP = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const EUI = /^[0-9a-fA-F]{16}$/;
const EVENT = /^[a-z]{1,16}$/;

/** Null for anything outside the tree: the caller refuses it. */
export function parseChirpStackTopic(topic: string): ChirpStackTopic | null {
  const p = topic.split('/');
  if (p.length !== 6 || p[0] !== CHIRPSTACK_ROOT || p[2] !== 'device' || p[4] !== 'event') return null;
  const [, applicationId, , devEui, , event] = p as [string, string, string, string, string, string];
  if (!APP.test(applicationId) || !EUI.test(devEui) || !EVENT.test(event)) return null;
  return { applicationId, devEui: devEui.toLowerCase(), event };
}

export function chirpStackTopic(applicationId: string, devEui: string, event: string): string {
  return `${CHIRPSTACK_ROOT}/${applicationId}/device/${devEui.toLowerCase()}/event/${event}`;
}

/** True for a topic under `application/`: it belongs to the LoRaWAN path, not the cx/v1 router. */
export function isChirpStackTopic(topic: string): boolean {
  return topic.startsWith(`${CHIRPSTACK_ROOT}/`);
}
