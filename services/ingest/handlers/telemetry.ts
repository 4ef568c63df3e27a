import { TelemetryV1 } from '../payloads.ts';
import { type ChannelHandler, reading } from './handler.ts';

export const telemetry: ChannelHandler<typeof TelemetryV1> = {
  schema: TelemetryV1,
  handle(ctx, doc) {
    const ts = doc.ts ?? ctx.receiveStamp();
    ctx.addReadings(Object.entries(doc.metrics).map(([metric, value]) => reading(ctx, metric, ts, value)));
    ctx.defer(() => ctx.availability.heard(ctx.device.id, ctx.receivedTs));
  },
};
