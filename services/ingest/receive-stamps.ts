/**
 * How far a receive stamp may run ahead of our clock, ms. A device that sends messages without its
 * own `ts` faster than one a millisecond pushes its stamps ahead; past this it is sending over
 * 1,000 messages a second without saying when, and what it sends is refused (`too-fast-without-ts`,
 * counted and kept in the reject log) rather than stamped with an ever more fictitious time.
 */
export const MAX_STAMP_AHEAD_MS = 1000;

/**
 * Gives each message without its own `ts` a timestamp that no other message of its device has had:
 * max(receive time, the device's last stamp + 1). Readings are keyed by (device, metric, ts) and
 * events by (device, ts, type); two messages received in the same millisecond with our receive
 * time as their ts would share a key, and the second would silently overwrite (or, for events, be
 * dropped in favour of) the first. The stamp is decided once, at decode, and kept in the spool's
 * work, so a replay rewrites the same keys.
 *
 * Restarts and takeovers: stamps start above `floor`, the highest stamp the spool file committed
 * (Spool.stampFloor), so a fast restart or a handover to another worker never hands out a stamp the
 * previous run gave the same device.
 */
export class ReceiveStamps {
  private readonly last = new Map<string, number>();
  /** The highest receive time seen (or the floor): a clock stepped back does not count as skew. */
  private clockHigh = 0;
  private floor = 0;
  /** Messages stamped, and those of them moved past their receive millisecond. */
  stamped = 0;
  moved = 0;

  constructor(private readonly maxAheadMs = MAX_STAMP_AHEAD_MS) {}

  /** Stamps from here on stay above `floorTs` (a previous run's highest stamp). */
  startAbove(floorTs: number): void {
    this.floor = Math.max(this.floor, floorTs);
    this.clockHigh = Math.max(this.clockHigh, floorTs);
  }

  /**
   * The stamp the device's next message would get, and whether it is within the bound. Nothing is
   * kept until take(): a message refused for another reason does not move the device's stamps.
   */
  peek(deviceId: string, receivedTs: number): { ts: number; tooFast: boolean } {
    const before = Math.max(this.last.get(deviceId) ?? 0, this.floor);
    const ts = Math.max(receivedTs, before + 1);
    return { ts, tooFast: ts - Math.max(receivedTs, this.clockHigh) > this.maxAheadMs };
  }

  /** Records that the device's message was stamped `ts` (from peek). */
  take(deviceId: string, receivedTs: number, ts: number): void {
    this.last.set(deviceId, ts);
    if (receivedTs > this.clockHigh) this.clockHigh = receivedTs;
    this.stamped += 1;
    if (ts !== receivedTs) this.moved += 1;
  }
}
