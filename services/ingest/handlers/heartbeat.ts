import { isPlainHeartbeatV1 } from '../../protocol/payload-checks.ts';
import { HeartbeatV1 } from '../../protocol/payloads.ts';
import { type ChannelHandler, reading } from './handler.ts';

/**
 * A heartbeat is proof of life (at our receive time: device clocks drift) and a few vitals, also
 * when a reporter publishes it: a LoRa gateway relays the sensor's own uplink. An adapter that
 * only watches a device sends verdicts (status), never heartbeats for it.
 */
export const heartbeat: ChannelHandler<typeof HeartbeatV1> = {
  schema: HeartbeatV1,
  accepts: isPlainHeartbeatV1,
  handle(ctx, doc) {
    const ts = doc.ts ?? ctx.receiveStamp();
    const readings = [reading(ctx, 'heartbeat', ts, 1)];
    if (doc.rssiDbm !== undefined) readings.push(reading(ctx, 'rssiDbm', ts, doc.rssiDbm));
    if (doc.uptimeSec !== undefined) readings.push(reading(ctx, 'uptimeSec', ts, doc.uptimeSec));
    ctx.addReadings(readings);
    ctx.defer(() => ctx.availability.heard(ctx.device.id, ctx.receivedTs, doc));
  },
};
