/**
 * The topic scheme, one place for the broker's ACLs, the ingest router, gateways and the simulator:
 *
 *   cx/v1/{commune}/{device}/{channel}      channel ∈ heartbeat | telemetry | event | status
 *
 * A device publishes only under its own {commune}/{device}; an adapter or gateway also under the
 * devices whose `reportedBy` names it. Devices subscribe to nothing but their own `cx/v1/{commune}/{device}/cmd/#`.
 */
export const TOPIC_ROOT = 'cx/v1';
export const CHANNELS = ['heartbeat', 'telemetry', 'event', 'status'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ParsedTopic {
  readonly communeId: string;
  readonly deviceId: string;
  readonly channel: Channel;
}

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * Topics already parsed, by name: the broker's ACL and the ingest each parse every publish's
 * topic, and a commune's devices publish on a few names each (2,000 msg/s: the two parses were
 * 3 % of the event loop). Emptied when full, so a client trying new names costs only its misses.
 */
const PARSED = new Map<string, ParsedTopic | null>();
const PARSED_MAX = 20_000;

/** Returns null for any topic outside the scheme; the caller decides how to count that. */
export function parseTopic(topic: string): ParsedTopic | null {
  let parsed = PARSED.get(topic);
  if (parsed === undefined) {
    parsed = parseFresh(topic);
    if (PARSED.size >= PARSED_MAX) PARSED.clear();
    PARSED.set(topic, parsed);
  }
  return parsed;
}

function parseFresh(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , communeId, deviceId, channel] = parts as [string, string, string, string, string];
  if (!SEGMENT.test(communeId) || !SEGMENT.test(deviceId)) return null;
  if (!(CHANNELS as readonly string[]).includes(channel)) return null;
  // Frozen: every caller of one topic shares it.
  return Object.freeze({ communeId, deviceId, channel: channel as Channel });
}

export function topicFor(communeId: string, deviceId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${communeId}/${deviceId}/${channel}`;
}

export function commandTopicFilter(communeId: string, deviceId: string): string {
  return `${TOPIC_ROOT}/${communeId}/${deviceId}/cmd/#`;
}
