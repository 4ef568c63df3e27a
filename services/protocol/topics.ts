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

/** Returns null for any topic outside the scheme; the caller decides how to count that. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return null;
  const [, , communeId, deviceId, channel] = parts as [string, string, string, string, string];
  if (!SEGMENT.test(communeId) || !SEGMENT.test(deviceId)) return null;
  if (!(CHANNELS as readonly string[]).includes(channel)) return null;
  return { communeId, deviceId, channel: channel as Channel };
}

export function topicFor(communeId: string, deviceId: string, channel: Channel): string {
  return `${TOPIC_ROOT}/${communeId}/${deviceId}/${channel}`;
}

export function commandTopicFilter(communeId: string, deviceId: string): string {
  return `${TOPIC_ROOT}/${communeId}/${deviceId}/cmd/#`;
}
