import { EventV1 } from '../../protocol/payloads.ts';
import { type ChannelHandler, fromDevice } from './handler.ts';

/** An event; the device's sign of life only when it sent it itself (see telemetry.ts). */
export const event: ChannelHandler<typeof EventV1> = {
  schema: EventV1,
  handle(ctx, doc) {
    ctx.addEvent({
      ts: doc.ts ?? ctx.receiveStamp(),
      type: doc.type,
      severity: doc.severity,
      detail: doc.detail,
    });
    if (fromDevice(ctx)) ctx.defer(() => ctx.availability.heard(ctx.device.id, ctx.receivedTs));
  },
};
