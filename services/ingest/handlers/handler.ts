import type { z } from 'zod';
import type { AvailabilityEngine } from '../../availability/engine.ts';
import type { DeviceInfo } from '../../inventory/device-directory.ts';
import type { Reading } from '../../store/store.ts';

export interface HandlerContext {
  /** The device the topic names (a gateway may publish for devices behind it). */
  readonly device: DeviceInfo;
  /** Our clock when the broker accepted the message, epoch ms. */
  readonly receivedTs: number;
  readonly availability: AvailabilityEngine;
  /**
   * The ts for a message without its own: our receive time, moved on by whole ms past any stamp
   * the device's earlier messages had, so two messages never share a key (receive-stamps.ts).
   * Decided once per message; call it only when the document has no ts.
   */
  receiveStamp(): number;
  readonly addReadings: (readings: Reading[]) => void;
  readonly addEvent: (event: { ts: number; type: string; severity: string; detail?: unknown }) => void;
  /** Runs after the message is durable in the spool: state changes must not outrun the data. */
  readonly defer: (effect: () => void) => void;
}

/** One per channel: the schema that guards it and what a valid document does. */
export interface ChannelHandler<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  handle(ctx: HandlerContext, doc: z.output<S>): void;
}

export function reading(ctx: HandlerContext, metric: string, ts: number, value: number): Reading {
  return { communeId: ctx.device.communeId, deviceId: ctx.device.id, metric, ts, value };
}
