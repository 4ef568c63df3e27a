import { EventV1 } from '../payloads.ts';
import type { ChannelHandler } from './handler.ts';

export const event: ChannelHandler<typeof EventV1> = {
  schema: EventV1,
  handle(ctx, doc) {
    ctx.addEvent({
      ts: doc.ts ?? ctx.receiveStamp(),
      type: doc.type,
      severity: doc.severity,
      detail: doc.detail,
    });
    ctx.defer(() => ctx.availability.heard(ctx.device.id, ctx.receivedTs));
  },
};
