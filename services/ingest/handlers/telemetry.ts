import { isPlainTelemetryV1 } from '../../protocol/payload-checks.ts';
import { TelemetryV1 } from '../../protocol/payloads.ts';
import { type ChannelHandler, fromDevice, reading } from './handler.ts';

/**
 * Readings. From the device itself they are also its sign of life; from an adapter they are
 * evidence about the device (a probe's latency), which must not undo the adapter's own `down`.
 */
export const telemetry: ChannelHandler<typeof TelemetryV1> = {
  schema: TelemetryV1,
  accepts: isPlainTelemetryV1,
  handle(ctx, doc) {
    const ts = doc.ts ?? ctx.receiveStamp();
    ctx.addReadings(Object.entries(doc.metrics).map(([metric, value]) => reading(ctx, metric, ts, value)));
    if (fromDevice(ctx)) ctx.defer(() => ctx.availability.heard(ctx.device.id, ctx.receivedTs));
  },
};
