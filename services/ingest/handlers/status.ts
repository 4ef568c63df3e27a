import { StatusV1 } from '../payloads.ts';
import type { ChannelHandler } from './handler.ts';

/** Last wills, a device's own online/offline, and gateways' verdicts on the devices they probe. */
export const status: ChannelHandler<typeof StatusV1> = {
  schema: StatusV1,
  handle(ctx, doc) {
    ctx.defer(() => ctx.availability.status(ctx.device.id, doc.state, ctx.receivedTs, doc.reason));
  },
};
