import { StatusV1 } from '../../protocol/payloads.ts';
import type { ChannelHandler } from './handler.ts';

/**
 * Last wills, a device's own online/offline, and the verdicts (up, degraded, down, unknown) of
 * the adapters and gateways that report for it.
 */
export const status: ChannelHandler<typeof StatusV1> = {
  schema: StatusV1,
  handle(ctx, doc) {
    ctx.defer(() => ctx.availability.status(ctx.device.id, doc.state, ctx.receivedTs, doc.reason));
  },
};
