import type { Channel } from '../../protocol/topics.ts';
import { event } from './event.ts';
import type { ChannelHandler } from './handler.ts';
import { heartbeat } from './heartbeat.ts';
import { status } from './status.ts';
import { telemetry } from './telemetry.ts';

/** The table the router dispatches on: one small handler per topic channel. */
export const CHANNEL_HANDLERS: Readonly<Record<Channel, ChannelHandler>> = {
  heartbeat,
  telemetry,
  event,
  status,
};
