import type { Logger } from 'pino';

/** Vietnam keeps UTC+7 all year: schedules are wall-clock times there. */
const VN_OFFSET_MS = 7 * 3_600_000;
const DAY_MS = 86_400_000;
const BY_UTC_DAY = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** A scheduled bulletin as the commune file gives it (the simulator speaks no service internals). */
export interface SimBroadcast {
  readonly communeId: string;
  readonly id: string;
  /** HH:MM, Asia/Ho_Chi_Minh. */
  readonly at: string;
  readonly days: readonly string[];
  readonly durationMin: number;
}

export interface SimSpeaker {
  readonly id: string;
  readonly communeId: string;
}

/** What a loudspeaker controller reports after playing, on the device's event topic. */
export interface PlayedEvent {
  readonly v: 1;
  readonly ts: number;
  readonly type: 'broadcast-played';
  readonly severity: 'info';
  readonly detail: { broadcastId: string; startedTs: number; durationSec: number };
}

/** Starts of `b` from the day before `fromTs` to the day after `toTs`, in [fromTs, toTs). */
export function startsBetween(b: SimBroadcast, fromTs: number, toTs: number): number[] {
  const [hh, mm] = b.at.split(':').map(Number) as [number, number];
  const out: number[] = [];
  for (
    let day = Math.floor((fromTs + VN_OFFSET_MS) / DAY_MS) - 1;
    day <= (toTs + VN_OFFSET_MS) / DAY_MS;
    day++
  ) {
    if (!b.days.includes(BY_UTC_DAY[new Date(day * DAY_MS).getUTCDay()]!)) continue;
    const ts = day * DAY_MS + (hh * 60 + mm) * 60_000 - VN_OFFSET_MS;
    if (ts >= fromTs && ts < toTs) out.push(ts);
  }
  return out;
}

/**
 * The demo's loudspeaker controllers: at each scheduled bulletin every speaker of the commune
 * confirms it (`broadcast-played`) through `send` (the identity allowed to report for it: the
 * commune's probe gateway), except that now and then (half the bulletins) one speaker, picked at
 * random, stays silent, so the bulletin page shows a miss. At start it reports the latest bulletin
 * already aired, as a controller uploads its play log on connecting, always with one silent
 * speaker, so a fresh demo has a played and a missed hamlet at once. Real time: bulletins are
 * wall-clock events, so `speed` does not compress them.
 */
export class BulletinPlayer {
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(
    private readonly opts: {
      broadcasts: readonly SimBroadcast[];
      speakers: readonly SimSpeaker[];
      send: (deviceId: string, doc: PlayedEvent) => boolean;
      log: Logger;
      clock?: () => number;
      random?: () => number;
    },
  ) {
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    const now = this.clock();
    for (const b of this.opts.broadcasts) {
      const last = startsBetween(b, now - 8 * DAY_MS, now).at(-1);
      if (last !== undefined) this.play(b, last, true);
    }
    this.scheduleNext();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Every speaker of the bulletin's commune confirms, bar one when `miss` (or by chance). */
  private play(b: SimBroadcast, startTs: number, miss: boolean): void {
    const speakers = this.opts.speakers.filter((s) => s.communeId === b.communeId);
    const silent =
      miss || this.random() < 0.5 ? speakers[Math.floor(this.random() * speakers.length)] : undefined;
    for (const s of speakers) {
      if (s === silent) continue;
      const startedTs = startTs + Math.round(this.random() * 20_000);
      this.opts.send(s.id, {
        v: 1,
        ts: startedTs,
        type: 'broadcast-played',
        severity: 'info',
        detail: { broadcastId: b.id, startedTs, durationSec: b.durationMin * 60 },
      });
    }
    this.opts.log.info(
      { broadcastId: b.id, communeId: b.communeId, silent: silent?.id ?? null },
      'simulated bulletin played',
    );
  }

  private scheduleNext(): void {
    const now = this.clock();
    const next = this.opts.broadcasts
      .flatMap((b) => startsBetween(b, now + 1, now + 2 * DAY_MS).map((ts) => ({ b, ts })))
      .sort((x, y) => x.ts - y.ts)[0];
    if (!next) return;
    this.timer = setTimeout(() => {
      for (const b of this.opts.broadcasts)
        if (startsBetween(b, next.ts, next.ts + 1).length) this.play(b, next.ts, false);
      this.scheduleNext();
    }, next.ts - now).unref();
  }
}
