import type { Logger } from 'pino';
import { type CameraBehaviour, type OnvifCameraStandIn, startOnvifCamera } from './onvif-camera.ts';
import type { StandInTarget } from './probe-standins.ts';

/** What the demo's trouble may do to a camera (gateway/simulator/demo-trouble.ts). */
export interface CameraControls {
  /** Changes how the camera behaves from now on; false when no stand-in plays that device. */
  set(deviceId: string, change: Partial<CameraBehaviour>): Promise<boolean>;
}

/** The onvif target's settings the stand-in must match: where it listens and whom it lets in. */
interface OnvifTarget {
  readonly host?: string;
  readonly port?: number;
  readonly username?: string;
  readonly password?: string;
}

/**
 * The demo's security cameras (`npm start` with the simulator on): one stand-in ONVIF camera
 * (onvif-camera.ts: SOAP with WS-Security, RTSP, a digest-protected snapshot) per `onvif` target
 * whose commune file puts it on a loopback address, listening there with the username and the
 * password the target resolved to. The built-in onvif probe then judges them as it would a mast
 * camera, so the police's grid has snapshots, states and a drift history from the first minute.
 */
export class CameraStandIns implements CameraControls {
  private readonly targets: readonly StandInTarget[];
  private readonly cameras = new Map<string, OnvifCameraStandIn>();
  private readonly log: Logger;

  constructor(opts: { targets: readonly StandInTarget[]; log: Logger }) {
    this.targets = opts.targets.filter((t) => t.kind === 'onvif' && loopback(t.config as OnvifTarget));
    this.log = opts.log.child({ mod: 'gateway.simulator.cameras' });
  }

  /** How many cameras it plays. */
  get size(): number {
    return this.cameras.size;
  }

  async start(): Promise<void> {
    await Promise.all(
      this.targets.map(async (t) => {
        const c = t.config as OnvifTarget;
        try {
          const cam = await startOnvifCamera({
            host: c.host!,
            port: c.port ?? 80,
            ...(c.username ? { username: c.username } : {}),
            ...(c.password ? { password: c.password } : {}),
          });
          this.cameras.set(t.deviceId, cam);
        } catch (err) {
          // Another demo on this machine holds the address: its camera answers for ours.
          this.log.warn({ err, deviceId: t.deviceId, host: c.host, port: c.port }, 'camera cannot listen');
        }
      }),
    );
    this.log.info({ cameras: this.cameras.size }, 'stand-in cameras started');
  }

  async set(deviceId: string, change: Partial<CameraBehaviour>): Promise<boolean> {
    const cam = this.cameras.get(deviceId);
    if (!cam) return false;
    await cam.set(change);
    this.log.info({ deviceId, ...change }, 'stand-in camera changed');
    return true;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.cameras.values()].map((c) => c.stop()));
    this.cameras.clear();
  }
}

function loopback(c: OnvifTarget): boolean {
  return typeof c.host === 'string' && /^127\.\d+\.\d+\.\d+$/.test(c.host);
}
