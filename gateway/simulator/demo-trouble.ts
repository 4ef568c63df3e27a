import type { Logger } from 'pino';
import type { CameraControls } from './camera-standins.ts';
import type { OfflineControls } from './flaky.ts';

/** What the trouble needs to know of a device to choose it. */
export interface TroubleCandidate {
  readonly id: string;
  readonly communeId: string;
  readonly kind: string;
  /** Watched by a probe (a stand-in plays it), not an MQTT client of the simulator. */
  readonly probed: boolean;
  /** The probe's kind when probed (`onvif`: a stand-in camera the trouble can turn or cover). */
  readonly probeKind?: string;
  /** A probe with a latency threshold: a slow answer makes it degraded. */
  readonly latencyThreshold: boolean;
  /** How many devices depend on it: a line with dependents shows `unreachable` when it falls. */
  readonly dependents: number;
}

export interface TroublePlan {
  /** MQTT devices dropped abruptly (last will: down at once). */
  readonly offline: readonly string[];
  /** Probed devices whose stand-in stops answering (down; its dependents unreachable). */
  readonly down: readonly string[];
  /** Probed devices whose stand-in answers slowly (degraded). */
  readonly slow: readonly string[];
  /** Devices a technician has put in maintenance, with a reason and a planned end. */
  readonly maintenance: readonly string[];
  /** Stand-in cameras whose clock runs ahead from the start (degraded / camera-clock-drift). */
  readonly clockDrift: readonly string[];
  /** Stand-in cameras whose lens is covered a while after the start (degraded, covered). */
  readonly covered: readonly string[];
}

/** How far the drifting camera's clock runs ahead: over the probe's 30 s, inside WS-Security's 300 s. */
export const DEMO_DRIFT_SEC = 135;

/**
 * A few devices in trouble from the first minute of the demo (issue #17), per commune: a camera
 * dropped, a line with devices behind it down (they become unreachable), another line slow
 * (degraded), a loudspeaker silent, a Wi-Fi AP in planned maintenance, a stand-in camera's clock
 * running ahead and, a while later, another one covered. The choice is by id, so
 * the demo is the same each time.
 */
export function planTrouble(devices: readonly TroubleCandidate[]): TroublePlan {
  const plan = {
    offline: [] as string[],
    down: [] as string[],
    slow: [] as string[],
    maintenance: [] as string[],
    clockDrift: [] as string[],
    covered: [] as string[],
  };
  for (const communeId of new Set(devices.map((d) => d.communeId))) {
    const mine = devices.filter((d) => d.communeId === communeId).sort((a, b) => a.id.localeCompare(b.id));
    const cam = mine.find((d) => d.kind === 'camera' && !d.probed);
    if (cam) plan.offline.push(cam.id);
    const lines = mine.filter((d) => d.kind === 'uplink' && d.probed);
    const cut = lines.filter((d) => d.dependents > 0).at(-1);
    if (cut) plan.down.push(cut.id);
    const slow = lines.filter((d) => d.latencyThreshold && d.id !== cut?.id).at(-1);
    if (slow) plan.slow.push(slow.id);
    const speaker = mine.find((d) => d.kind === 'loudspeaker' && d.probed);
    if (speaker) plan.down.push(speaker.id);
    const ap = mine.find((d) => d.kind === 'wifi-ap');
    if (ap) plan.maintenance.push(ap.id);
    const [drifting, covered] = mine.filter((d) => d.kind === 'camera' && d.probeKind === 'onvif');
    if (drifting) plan.clockDrift.push(drifting.id);
    if (covered) plan.covered.push(covered.id);
  }
  return plan;
}

export interface TroubleOptions {
  readonly plan: TroublePlan;
  readonly simulator: OfflineControls | undefined;
  readonly standIns:
    | {
        goOffline(deviceId: string, opts?: { slow?: boolean }): Promise<void>;
        comeBack(deviceId: string): Promise<void>;
      }
    | undefined;
  /** Puts a device in maintenance until the given time (the engine ends it then by itself). */
  readonly maintain?: (deviceId: string, untilTs: number) => void;
  /** The demo's stand-in cameras, for the drift and the cover. */
  readonly cameras?: CameraControls;
  /** When the cover goes on after the start (ms); 2 min / speed unless given. */
  readonly coverAfterMs?: number;
  /** 1 is real time: the trouble is mended after 30 min / speed. */
  readonly speed: number;
  readonly log: Logger;
}

/** Starts the planned trouble at once and mends it later, so the demo then lives on its own. */
export class DemoTrouble {
  private readonly opts: TroubleOptions;
  private timer: NodeJS.Timeout | null = null;
  private coverTimer: NodeJS.Timeout | null = null;

  constructor(opts: TroubleOptions) {
    this.opts = opts;
  }

  async start(): Promise<void> {
    const { plan, simulator, standIns, log } = this.opts;
    const steps = [
      ...plan.offline.map((id) => simulator?.goOffline(id)),
      ...plan.down.map((id) => standIns?.goOffline(id, { slow: false })),
      ...plan.slow.map((id) => standIns?.goOffline(id, { slow: true })),
      ...plan.clockDrift.map((id) => this.opts.cameras?.set(id, { driftSec: DEMO_DRIFT_SEC })),
    ];
    const failed = (await Promise.allSettled(steps)).filter((r) => r.status === 'rejected').length;
    const untilTs = Date.now() + (2 * 3_600_000) / this.opts.speed;
    for (const id of plan.maintenance) this.opts.maintain?.(id, untilTs);
    if (failed) log.warn({ failed }, 'demo trouble: some devices could not be taken down');
    log.info({ ...plan }, 'demo trouble started');
    this.timer = setTimeout(() => void this.mend(), (30 * 60_000) / this.opts.speed);
    this.timer.unref();
    // Later, so the police first see the camera's own view, then the cover (and its reason) arrive.
    this.coverTimer = setTimeout(
      () => void this.cover(),
      this.opts.coverAfterMs ?? (2 * 60_000) / this.opts.speed,
    );
    this.coverTimer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.coverTimer) clearTimeout(this.coverTimer);
    this.timer = null;
    this.coverTimer = null;
  }

  private async cover(): Promise<void> {
    const { plan, cameras, log } = this.opts;
    const r = await Promise.allSettled(plan.covered.map((id) => cameras?.set(id, { scene: 'covered' })));
    if (r.some((x) => x.status === 'rejected')) log.warn('demo trouble: a camera could not be covered');
  }

  private async mend(): Promise<void> {
    const { plan, simulator, standIns, log } = this.opts;
    await Promise.allSettled([
      ...plan.offline.map((id) => simulator?.comeBack(id)),
      ...[...plan.down, ...plan.slow].map((id) => standIns?.comeBack(id)),
      ...plan.clockDrift.map((id) => this.opts.cameras?.set(id, { driftSec: 0 })),
      ...plan.covered.map((id) => this.opts.cameras?.set(id, { scene: 'normal' })),
    ]);
    log.info('demo trouble mended');
  }
}
