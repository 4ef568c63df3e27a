import type { AedesOptions, PublishPacket } from 'aedes';
import type { DeviceInfo } from '../inventory/device-directory.ts';
import { isChirpStackTopic, parseChirpStackTopic } from '../protocol/chirpstack-topics.ts';
import { parseTopic } from '../protocol/topics.ts';
import type { HookContext, RefusalReason } from './hook-context.ts';

/** One accepted message, handed to ingest before the broker acknowledges it. */
export interface BrokerMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  /** The DUP flag: the sender may have sent this QoS 1 message before (MQTT 3.1.1 §3.3.1.1). */
  readonly dup: boolean;
  readonly retain: boolean;
  /** The MQTT client id; equal to deviceId, since authenticate.ts enforces it. */
  readonly clientId: string;
  /**
   * The authenticated device that sent it. For an adapter or gateway publishing for a device that
   * names it in `reportedBy`, this is the adapter; the topic names the device the message is about.
   */
  readonly deviceId: string;
  /** Epoch ms UTC when the broker accepted it. */
  readonly receivedTs: number;
  /** The PUBLISH packet identifier (QoS 1 and 2); a resend keeps it [MQTT-4.4.0-1]. */
  readonly packetId?: number;
  /** The client connection it came on (HookContext.connectionOf); undefined for a dead client's will. */
  readonly connection?: number;
}

/**
 * Takes an accepted message; calls `done` once it is durable (the spool's group commit), which is
 * when the broker acknowledges it. Throws only when it cannot take the message at all.
 */
export type OnPublish = (msg: BrokerMessage, done: () => void) => void;

/**
 * Publish ACL. MQTT 3.1.1 has no way to refuse one PUBLISH (PUBACK carries no code), so a refusal
 * makes aedes close the connection; the device's will then fires, which is right: a device
 * breaking the rules is not working. Wills reach this hook too (aedes authorises them like any
 * publish), so the availability engine learns of a vanished device through the same onPublish.
 */
export function makeAuthorizePublish(
  ctx: HookContext,
  onPublish: OnPublish,
): NonNullable<AedesOptions['authorizePublish']> {
  return (client, packet, callback) => {
    // A will carries no `cmd`; one left by a dead client may arrive with client null and its id.
    const isWill = packet.cmd !== 'publish';
    const clientId = client?.id ?? (packet as { clientId?: string }).clientId ?? '';
    if (isWill && ctx.stopping()) {
      // On stop() aedes closes every client and fires their wills. The outage is the service's,
      // not the devices', so the wills are held back rather than marking every device offline.
      return callback(new Error('broker stopping: will not published'));
    }
    const device = ctx.directory.get(clientId);
    const refusal = device ? check(ctx, device, packet) : UNKNOWN_PUBLISHER;
    if (refusal || !device)
      return refuse(ctx, device, clientId, packet, refusal ?? UNKNOWN_PUBLISHER, callback);
    // aedes writes PUBACK (QoS 1) or PUBREC (QoS 2) only after our callback, so the device is
    // told only once onPublish has made the message durable.
    try {
      onPublish(
        {
          topic: packet.topic,
          payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
          qos: packet.qos,
          dup: packet.dup,
          retain: packet.retain,
          clientId,
          deviceId: device.id,
          receivedTs: ctx.clock(),
          // A will is the broker's publish, not the client's: no packet id of the client's. Set to
          // undefined rather than spread in: one object per message, not three.
          packetId: !isWill && packet.qos > 0 ? packet.messageId : undefined,
          connection: client ? ctx.connectionOf(client) : undefined,
        },
        () => callback(null),
      );
    } catch (err) {
      // Not acknowledged: at QoS 1/2 the device sends it again after it reconnects.
      ctx.log.error({ err, deviceId: clientId, topic: packet.topic }, 'ingest refused an accepted publish');
      ctx.refuse('ingest-failed', {
        deviceId: clientId,
        clientId,
        topic: packet.topic,
        detail: String(err),
        payload: packet.payload,
      });
      return callback(err as Error);
    }
  };
}

const UNKNOWN_PUBLISHER = { reason: 'forbidden-topic', detail: 'publisher is no known device' } as const;

/** Records the refusal and closes the connection (a function, not a closure made per publish). */
function refuse(
  ctx: HookContext,
  device: DeviceInfo | undefined,
  clientId: string,
  packet: PublishPacket,
  { reason, detail }: { reason: RefusalReason; detail: string },
  callback: (err: Error | null) => void,
): void {
  ctx.refuse(reason, {
    deviceId: device?.id,
    clientId,
    topic: packet.topic,
    detail,
    payload: packet.payload,
  });
  callback(new Error(`${reason}: ${detail}`));
}

function check(
  ctx: HookContext,
  device: DeviceInfo,
  packet: PublishPacket,
): { reason: RefusalReason; detail: string } | null {
  const size = packet.payload.length;
  if (size > ctx.maxPayloadBytes)
    return {
      reason: 'oversized',
      detail: `payload is ${size} bytes, over the limit of ${ctx.maxPayloadBytes}`,
    };
  if (isChirpStackTopic(packet.topic)) return checkNetworkServer(device, packet);
  // parseTopic accepts only cx/v1/{commune}/{device}/{channel} with plain segments, so a topic name
  // with a wildcard [MQTT-3.3.2-2] (aedes refuses those first) or under $SYS is refused, and nobody
  // can publish on a device's cmd/ tree, which only the service writes to.
  const t = parseTopic(packet.topic);
  if (!t)
    return {
      reason: 'forbidden-topic',
      detail: 'topic is outside cx/v1/{commune}/{device}/{heartbeat|telemetry|event|status}',
    };
  if (t.communeId !== device.communeId)
    return {
      reason: 'forbidden-topic',
      detail: `commune "${t.communeId}" is not the publisher's commune "${device.communeId}"`,
    };
  if (t.deviceId !== device.id && !device.reportsFor.includes(t.deviceId))
    return {
      reason: 'forbidden-topic',
      detail: `"${device.id}" may not publish for "${t.deviceId}" (not itself, nor in its reportedBy)`,
    };
  // A retained heartbeat or reading would be replayed to every later subscriber (an ingest worker
  // on an external broker after a restart) as if fresh, and hide a dead device. Only `status`
  // may be retained: it is a last-known state by nature, and a subscriber is told it is retained
  // [MQTT-3.3.1-8].
  if (packet.retain && t.channel !== 'status')
    return {
      reason: 'retain-not-allowed',
      detail: `retained publishes are allowed only on status, not ${t.channel}`,
    };
  return null;
}

/**
 * A network server account (a device with `applicationIds`: a LoRa gateway's built-in one, or
 * ChirpStack) publishes ChirpStack integration events, and only for its own applications:
 * application/{one of its applicationIds}/device/{dev_eui}/event/{event}. Ingest then hands them
 * to the LoRaWAN decoder (services/ingest/lorawan.ts), which checks the DevEUI's reportedBy.
 */
function checkNetworkServer(
  device: DeviceInfo,
  packet: PublishPacket,
): { reason: RefusalReason; detail: string } | null {
  const apps = device.config.applicationIds;
  if (!apps)
    return {
      reason: 'forbidden-topic',
      detail: `"${device.id}" is no network server account (it has no applicationIds)`,
    };
  const t = parseChirpStackTopic(packet.topic);
  if (!t)
    return {
      reason: 'forbidden-topic',
      detail: 'topic is outside application/{application_id}/device/{dev_eui}/event/{event}',
    };
  if (!apps.includes(t.applicationId))
    return {
      reason: 'forbidden-topic',
      detail: `application "${t.applicationId}" is not one of ${device.id}'s applicationIds`,
    };
  if (packet.retain) return { reason: 'retain-not-allowed', detail: 'a ChirpStack event is never retained' };
  return null;
}
