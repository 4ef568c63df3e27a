import { z } from 'zod';
import {
  type DeviceProbe,
  down,
  OK,
  type ProbeEvent,
  type ProbeResult,
  socketDown,
  timedOut,
} from './probe.ts';
import { cameraBinding } from './support/camera-sink.ts';
import { fetchSnapshot } from './support/http-snapshot.ts';
import { hammingDistance, type ImageMeasures, measureJpeg } from './support/image-checks.ts';
import { CameraEvents } from './support/onvif-events.ts';
import { type Creds, OnvifSession, StepAborted, StepFailed } from './support/onvif-session.ts';
import { rtspDescribe, sdpHasVideo } from './support/rtsp-describe.ts';

const OnvifConfig = z.strictObject({
  /** The camera's LAN address or name. */
  host: z.string().min(1).max(253),
  /** The ONVIF device service's HTTP port. */
  port: z.number().int().min(1).max(65_535).default(80),
  username: z.string().min(1).max(64),
  /** A secret: written `passwordRef` in a commune file (config/probe-targets.ts). */
  password: z.string().min(1).max(128),
  /** A camera clock further than this from the server's is `degraded / camera-clock-drift`. */
  clockDriftMaxSec: z.number().int().min(1).max(86_400).default(30),
  /** DESCRIBE the main profile's RTSP stream (answered, with a video track). */
  checkStream: z.boolean().default(true),
  /** Fetch and judge the snapshot. */
  checkSnapshot: z.boolean().default(true),
  /** Where the camera offers ONVIF events: its own tamper and signal-loss alarms (pull point). */
  checkEvents: z.boolean().default(true),
  /** Mean luminance (0–255) under this: too dark (a dead IR lamp, a black cover). */
  darkLuminanceMin: z.number().min(0).max(255).default(30),
  /** Luminance standard deviation under this: near-uniform, the lens is covered or sprayed. */
  coveredStddevMax: z.number().min(0).max(128).default(6),
  /** Variance of the Laplacian under this: blurred (out of focus, misted, smeared). */
  sharpnessMin: z.number().min(0).default(50),
  /** dHash bits (of 64) that may differ from the approved reference before the scene counts as moved. */
  sceneMovedBits: z.number().int().min(1).max(63).default(12),
});
export type OnvifConfig = z.output<typeof OnvifConfig>;

/** What the camera says it is: remembered per target to publish an event when it changes. */
interface Identity {
  readonly manufacturer: string;
  readonly model: string;
  readonly firmwareVersion: string;
  readonly serialNumber: string;
}
const identities = new WeakMap<object, Identity>();
/** The last image judgement per camera: a `camera-snapshot` event names the image of each new one. */
const lastJudged = new WeakMap<object, string>();
/** Each camera's event subscription, kept between runs (support/onvif-events.ts says why). */
const watchers = new WeakMap<object, CameraEvents>();

const degraded = (code: string, params: Record<string, string | number>): ProbeResult => ({
  verdict: 'degraded',
  reason: { code, params },
  metrics: {},
});

/**
 * An ONVIF camera (Profile S) as the commune police need it: answering, with the right clock,
 * streaming video and seeing its approved scene. Order of the run, each step's failure its verdict:
 *
 * 1. GetSystemDateAndTime (unauthenticated, ONVIF Core §8.3.1): the clock drift against ours.
 * 2. GetCapabilities, GetDeviceInformation (maker, model, firmware, serial: an event on change),
 *    GetProfiles: refused or unanswered is `down`, wrong credentials `down / camera-auth-refused`
 *    (the camera's problem: it refuses what it was set up with), a malformed answer a reason.
 * 3. GetStreamUri + RTSP DESCRIBE (RFC 2326 §10.2): the SDP must hold a video track.
 * 4. GetSnapshotUri + HTTP GET (digest or basic): the JPEG decoded and judged.
 * 5. Where GetCapabilities lists the Events service: the camera's own alarms from its pull-point
 *    subscription (tamper, signal loss), kept open between runs and ended by `release`.
 *
 * Several troubles at once: the verdict names the first of signal loss, stream, covered, dark,
 * blurred, moved, tamper, snapshot, events, clock (what leaves the police blind first); the metrics
 * carry every measure.
 */
export const onvifProbe: DeviceProbe<OnvifConfig> = {
  kind: 'onvif',
  label: { vi: 'Camera ONVIF (hình ảnh, luồng, đồng hồ)', en: 'ONVIF camera (image, stream, clock)' },
  configSchema: OnvifConfig,
  secretKeys: ['password'],
  exampleConfig: {
    host: '192.168.30.21',
    port: 80,
    username: 'canhxa',
    password: 'example-only',
    clockDriftMaxSec: 30,
    checkStream: true,
    checkSnapshot: true,
    checkEvents: true,
    darkLuminanceMin: 30,
    coveredStddevMax: 6,
    sharpnessMin: 50,
    sceneMovedBits: 12,
  },
  async probe(target, signal) {
    if (signal.aborted) return timedOut(signal);
    const session = new OnvifSession(target, signal);
    try {
      return await run(target, session, signal);
    } catch (err) {
      if (err instanceof StepAborted || signal.aborted) return timedOut(signal);
      if (err instanceof StepFailed) return err.result;
      throw err;
    } finally {
      session.close();
    }
  },
  async release(target) {
    const w = watchers.get(target);
    watchers.delete(target);
    await w?.stop();
  },
};

/** The camera's event watcher, started at its first run that finds the Events service. */
function eventsOf(target: OnvifConfig, s: OnvifSession): CameraEvents | undefined {
  const xaddr = s.cam.uri?.events?.href;
  let w = watchers.get(target);
  if (!target.checkEvents || !xaddr) {
    // No longer offered (a firmware change): nothing to watch.
    if (w) void w.stop();
    watchers.delete(target);
    return undefined;
  }
  if (!w || w.ended) {
    w = new CameraEvents(target, xaddr);
    watchers.set(target, w);
  }
  w.timeShift = s.cam.timeShift;
  w.start();
  return w;
}

async function run(target: OnvifConfig, s: OnvifSession, signal: AbortSignal): Promise<ProbeResult> {
  const metrics: Record<string, number> = {};
  const events: ProbeEvent[] = [];
  const troubles: ProbeResult[] = [];
  const cam = s.cam;

  const sentAt = Date.now();
  const started = performance.now();
  const cameraTime = await s.call<Date>('GetSystemDateAndTime', (cb) => cam.getSystemDateAndTime(cb));
  metrics.onvifLatencyMs = Math.round(performance.now() - started);
  if (!(cameraTime instanceof Date) || Number.isNaN(cameraTime.getTime()))
    return down('onvif-malformed', { step: 'GetSystemDateAndTime' });
  // The camera answers in whole seconds: compare with the middle of the exchange, +0.5 s.
  const driftSec = Math.round((cameraTime.getTime() + 500 - (sentAt + Date.now()) / 2) / 1000);
  metrics.clockDriftSec = driftSec;

  // GetDeviceInformation beside GetCapabilities → GetProfiles (which needs the media service's
  // address), and the stream beside the snapshot: each run costs the camera's round trips, and a
  // cycle of hundreds of cameras is that many runs through a bounded number of slots.
  const [profiles, info] = await inOrder(
    s
      .call('GetCapabilities', (cb) => cam.getCapabilities(cb))
      .then(() => s.call<Array<{ $?: { token?: string } }>>('GetProfiles', (cb) => cam.getProfiles(cb))),
    s.call<Record<string, unknown>>('GetDeviceInformation', (cb) => cam.getDeviceInformation(cb)),
  );
  const watcher = eventsOf(target, s);
  const alarms = watcher?.troubles() ?? {};
  events.push(...(watcher?.drainEvents() ?? []));
  if (alarms.signalLoss) troubles.push(alarms.signalLoss);
  events.push(...identityEvents(target, info));
  const profileToken = Array.isArray(profiles) ? profiles[0]?.$?.token : undefined;
  if (!profileToken) return { ...down('onvif-malformed', { step: 'GetProfiles' }), metrics, events };

  const [stream, image] = await inOrder(
    target.checkStream
      ? s
          .call<{ uri?: string }>('GetStreamUri', (cb) =>
            cam.getStreamUri({ protocol: 'RTSP', profileToken }, cb),
          )
          .then((x) => checkStream(target, x?.uri, signal, metrics))
      : undefined,
    target.checkSnapshot
      ? s
          .call<{ uri?: string }>('GetSnapshotUri', (cb) => cam.getSnapshotUri({ profileToken }, cb))
          .then((x) => checkSnapshot(target, x?.uri, signal, metrics, events))
      : undefined,
  );
  if (stream?.verdict === 'down') return { ...stream, metrics, events };
  if (stream) troubles.push(stream);
  if (image) troubles.push(image);
  if (alarms.tamper) troubles.push(alarms.tamper);
  if (alarms.problem) troubles.push(alarms.problem);
  if (Math.abs(driftSec) > target.clockDriftMaxSec)
    troubles.push(
      degraded('camera-clock-drift', { seconds: driftSec, thresholdSec: target.clockDriftMaxSec }),
    );

  const first = troubles[0];
  if (first) return { ...first, metrics, events };
  return { verdict: 'up', reason: OK, metrics, events };
}

/**
 * Both results once both have settled (no step left running when the run returns); a failure is
 * thrown in argument order, so the verdict is the one the steps' order gives, whichever ended first.
 */
async function inOrder<A, B>(a: Promise<A> | A, b: Promise<B> | B): Promise<[A, B]> {
  const [x, y] = await Promise.allSettled([a, b]);
  if (x.status === 'rejected') throw x.reason;
  if (y.status === 'rejected') throw y.reason;
  return [x.value, y.value];
}

function identityEvents(target: OnvifConfig, info: Record<string, unknown> | undefined): ProbeEvent[] {
  const now: Identity = {
    manufacturer: String(info?.manufacturer ?? ''),
    model: String(info?.model ?? ''),
    firmwareVersion: String(info?.firmwareVersion ?? ''),
    serialNumber: String(info?.serialNumber ?? ''),
  };
  const before = identities.get(target);
  identities.set(target, now);
  if (!before) return [{ type: 'camera-identified', severity: 'info', detail: { ...now } }];
  const changed = (Object.keys(now) as (keyof Identity)[]).filter((k) => now[k] !== before[k]);
  if (changed.length === 0) return [];
  // A new serial is another camera in the mast (swapped, or stolen and replaced); new firmware an update.
  const detail: Record<string, string> = { changed: changed.join(',') };
  for (const k of changed) {
    detail[`${k}Before`] = before[k];
    detail[k] = now[k];
  }
  return [{ type: 'camera-identity-changed', severity: 'warning', detail }];
}

async function checkStream(
  target: OnvifConfig,
  uri: string | undefined,
  signal: AbortSignal,
  metrics: Record<string, number>,
): Promise<ProbeResult | undefined> {
  if (!uri || !/^rtsps?:\/\//i.test(uri)) return degraded('onvif-malformed', { step: 'GetStreamUri' });
  const o = await rtspDescribe(uri, target, signal);
  switch (o.kind) {
    case 'aborted':
      throw new StepAborted();
    case 'socket': {
      const r = socketDown(o.err, new URL(uri).host, 'rtsp-refused');
      // Nothing answers on the stream port: the camera records nothing we can watch.
      return r.reason.code === 'rtsp-refused' ? r : degraded(r.reason.code, r.reason.params);
    }
    case 'auth-refused':
      return degraded('camera-auth-refused', { service: 'rtsp', user: target.username });
    case 'status':
      return degraded('rtsp-status', { status: o.status });
    case 'garbage':
      return degraded('rtsp-garbage', { detail: o.detail });
    case 'sdp':
      metrics.rtspLatencyMs = o.latencyMs;
      return sdpHasVideo(o.sdp) ? undefined : degraded('rtsp-no-video', {});
  }
}

async function checkSnapshot(
  target: OnvifConfig,
  uri: string | undefined,
  signal: AbortSignal,
  metrics: Record<string, number>,
  events: ProbeEvent[],
): Promise<ProbeResult | undefined> {
  if (!uri || !/^https?:\/\//i.test(uri)) return degraded('onvif-malformed', { step: 'GetSnapshotUri' });
  const o = await fetchSnapshot(uri, target, signal);
  if (o.kind === 'aborted') throw new StepAborted();
  if (o.kind === 'auth-refused')
    return degraded('camera-auth-refused', { service: 'snapshot', user: target.username });
  if (o.kind === 'status') return degraded('snapshot-failed', { status: o.status });
  if (o.kind === 'too-large') return degraded('snapshot-undecodable', { detail: `over ${o.maxBytes} bytes` });
  if (o.kind === 'socket') return degraded('snapshot-failed', { status: o.err.code ?? 'network' });
  let m: ImageMeasures;
  try {
    m = measureJpeg(o.bytes);
  } catch (err) {
    return degraded('snapshot-undecodable', { detail: String((err as Error).message ?? err).slice(0, 80) });
  }
  metrics.snapshotBytes = o.bytes.length;
  metrics.snapshotLuminance = m.luminance;
  metrics.snapshotContrast = m.stddev;
  metrics.snapshotSharpness = m.sharpness;
  const binding = cameraBinding(target);
  const sha256 = binding?.sink.keep(binding.deviceId, o.bytes, m, Date.now());
  const reference = binding?.sink.referenceHash(binding.deviceId);
  const distance = reference ? hammingDistance(reference, m.dHash) : undefined;
  if (distance !== undefined) metrics.sceneDistanceBits = distance;
  const verdict = judgeImage(target, m, distance);
  // The verdict travels over MQTT, the image does not: when the judgement changes, an event names
  // the kept image it was made on, so the police can open that very snapshot.
  const judged = verdict?.reason.code ?? 'ok';
  if (sha256 && lastJudged.get(target) !== judged) {
    lastJudged.set(target, judged);
    events.push({
      type: 'camera-snapshot',
      severity: verdict ? 'warning' : 'info',
      detail: { sha256, judged },
    });
  }
  return verdict;
}

/** Dark before covered: a black cover is dark and uniform, and "too dark" is what a person sees. */
export function judgeImage(
  target: OnvifConfig,
  m: ImageMeasures,
  distance: number | undefined,
): ProbeResult | undefined {
  if (m.luminance < target.darkLuminanceMin)
    return degraded('camera-dark', { luminance: m.luminance, threshold: target.darkLuminanceMin });
  if (m.stddev < target.coveredStddevMax)
    return degraded('camera-covered', { stddev: m.stddev, threshold: target.coveredStddevMax });
  if (m.sharpness < target.sharpnessMin)
    return degraded('camera-blurred', { sharpness: m.sharpness, threshold: target.sharpnessMin });
  if (distance !== undefined && distance > target.sceneMovedBits)
    return degraded('camera-scene-moved', { distance, threshold: target.sceneMovedBits });
  return undefined;
}

export type { Creds };
