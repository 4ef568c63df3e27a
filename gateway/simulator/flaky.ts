import type { Logger } from 'pino';

/** What the schedule drives: the simulator's own public controls, nothing internal. */
export interface OfflineControls {
  goOffline(deviceId: string): Promise<void>;
  comeBack(deviceId: string): Promise<void>;
}

// A flaky device stays up 20–120 min, then down 2–15 min (both divided by speed): enough outages
// for the demo's uptime figures and alerts to have something to show.
const UP_MIN: readonly [number, number] = [20, 120];
const DOWN_MIN: readonly [number, number] = [2, 15];

/** Takes devices offline abruptly now and then and brings them back, each on its own random cycle. */
export class FlakySchedule {
  private readonly controls: OfflineControls;
  private readonly opts: { speed: number; random: () => number; log: Logger };
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(controls: OfflineControls, opts: { speed: number; random: () => number; log: Logger }) {
    this.controls = controls;
    this.opts = opts;
  }

  /** Picks round(share × n) of the devices at random and starts their cycles. */
  start(deviceIds: readonly string[], share: number): void {
    this.stopped = false;
    const shuffled = deviceIds.map((id) => ({ id, k: this.opts.random() })).sort((a, b) => a.k - b.k);
    for (const { id } of shuffled.slice(0, Math.round(deviceIds.length * share))) this.cycle(id);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private cycle(id: string): void {
    this.later(UP_MIN, async () => {
      await this.controls.goOffline(id);
      this.later(DOWN_MIN, async () => {
        await this.controls.comeBack(id);
        this.cycle(id);
      });
    });
  }

  private later([min, max]: readonly [number, number], fn: () => Promise<void>): void {
    if (this.stopped) return;
    const ms = ((min + (max - min) * this.opts.random()) * 60_000) / this.opts.speed;
    const t = setTimeout(() => {
      this.timers.delete(t);
      // A failed reconnect is retried by mqtt.js itself; the cycle only loses this turn.
      fn().catch((err) => this.opts.log.debug({ err }, 'flaky cycle step failed'));
    }, ms);
    this.timers.add(t);
  }
}
