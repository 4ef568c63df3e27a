import type { z } from 'zod';
import type { AvailabilityEngine } from '../../availability/engine.ts';
import type { DeviceInfo } from '../../inventory/device-directory.ts';
import type { Reading } from '../../store/store.ts';

export interface HandlerContext {
  /** The device the topic names: the message is about it. */
  readonly device: DeviceInfo;
  /**
   * Who published it: the device itself, or an adapter or gateway in its `reportedBy` (the broker's
   * ACL lets nobody else). An external broker does not tell its subscribers who published, so in
   * external mode this is the device the topic names: its ACL still admits only those two.
   */
  readonly publisherId: string;
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
  /**
   * A quicker check run before the schema (services/protocol/payload-checks.ts): true only for a
   * document the schema accepts and returns unchanged, so it is used as it is; false: the schema
   * decides. Optional: without it, every document goes through the schema.
   */
  readonly accepts?: (doc: unknown) => boolean;
  handle(ctx: HandlerContext, doc: z.output<S>): void;
}

/** True when the device published this itself: only then is telemetry or an event its sign of life. */
export function fromDevice(ctx: HandlerContext): boolean {
  return ctx.publisherId === ctx.device.id;
}

export function reading(ctx: HandlerContext, metric: string, ts: number, value: number): Reading {
  return { communeId: ctx.device.communeId, deviceId: ctx.device.id, metric, ts, value };
}
