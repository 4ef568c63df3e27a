import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type OnvifConfig, onvifProbe } from '../../gateway/probes/onvif.ts';
import { type ProbeResult, ProbeTimeout } from '../../gateway/probes/probe.ts';
import { waitFor } from '../setup/helpers.ts';
import { type CameraBehaviour, type OnvifCameraStandIn, startOnvifCamera } from '../standins/onvif-camera.ts';

// The camera's own tamper and signal-loss alarms, read by the onvif package (the client under
// test) from the stand-in's pull-point subscription, and what the probe makes of them.

const started: Array<{ cam: OnvifCameraStandIn; config: OnvifConfig }> = [];

async function camera(behaviour: Partial<CameraBehaviour> = {}) {
  const cam = await startOnvifCamera({ behaviour });
  const config = onvifProbe.configSchema.parse({
    host: cam.host,
    port: cam.port,
    username: cam.username,
    password: cam.password,
    // The alarms are what is under test: skip the image work a busy box would spend.
    checkSnapshot: false,
  });
  started.push({ cam, config });
  return { cam, config };
}

async function probe(config: OnvifConfig, timeoutMs = 20_000): Promise<ProbeResult> {
  const controller = new AbortController();
  const t = setTimeout(() => controller.abort(new ProbeTimeout(timeoutMs)), timeoutMs);
  try {
    return await onvifProbe.probe(config, controller.signal);
  } finally {
    clearTimeout(t);
  }
}

/** Probes until `ok` holds for a result (the alarm travels camera → held pull → watcher). */
async function probeUntil(config: OnvifConfig, ok: (r: ProbeResult) => boolean): Promise<ProbeResult> {
  let last: ProbeResult | undefined;
  await waitFor(
    async () => {
      last = await probe(config);
      return ok(last);
    },
    'a probe result as expected',
    30_000,
    100,
  );
  return last!;
}

afterEach(async () => {
  for (const { cam, config } of started.splice(0)) {
    await onvifProbe.release!(config);
    await cam.stop();
  }
});
afterAll(async () => {
  for (const { cam } of started) await cam.stop();
});

describe.sequential('ONVIF events through a pull-point subscription', () => {
  it('turns the tamper alarm into degraded / camera-tampered, and clears it when its state goes false', async () => {
    const { cam, config } = await camera();
    expect((await probe(config)).verdict).toBe('up');
    await waitFor(() => cam.eventSubscriptions === 1, 'a subscription', 20_000);
    cam.raiseEvent('tamper', true);
    const r = await probeUntil(config, (x) => x.reason.code === 'camera-tampered');
    expect(r.verdict).toBe('degraded');
    expect(r.reason.params).toEqual({ topic: 'VideoSource/GlobalSceneChange/ImagingService' });
    expect(r.events?.find((e) => e.type === 'camera-tamper')?.detail).toMatchObject({ active: true });
    cam.raiseEvent('tamper', false);
    const cleared = await probeUntil(config, (x) => x.verdict === 'up');
    expect(cleared.events?.find((e) => e.type === 'camera-tamper')?.detail).toMatchObject({ active: false });
  });

  it('names signal loss before the tamper alarm when both are on', async () => {
    const { cam, config } = await camera();
    await probe(config);
    await waitFor(() => cam.eventSubscriptions === 1, 'a subscription', 20_000);
    cam.raiseEvent('tamper', true);
    cam.raiseEvent('signal-loss', true);
    const r = await probeUntil(config, (x) => x.reason.code === 'camera-signal-lost');
    expect(r.verdict).toBe('degraded');
    expect(r.reason.params).toEqual({ source: 'VideoSource_1' });
  });

  it('reads an alarm already on when it subscribes (the Initialized message)', async () => {
    const { cam, config } = await camera();
    cam.raiseEvent('signal-loss', true);
    const r = await probeUntil(config, (x) => x.reason.code === 'camera-signal-lost');
    expect(r.verdict).toBe('degraded');
  });

  it('leaves a camera without the Events service unaffected: no subscription, up', async () => {
    const { cam, config } = await camera({ events: 'none' });
    for (let i = 0; i < 2; i++) expect((await probe(config)).reason.code).toBe('ok');
    expect(cam.requests.CreatePullPointSubscription ?? 0).toBe(0);
  });

  it('makes malformed event answers a reason, never a crash, and recovers when they are right again', async () => {
    const { cam, config } = await camera({ events: 'malformed' });
    const r = await probeUntil(config, (x) => x.reason.code === 'onvif-malformed');
    expect(r.verdict).toBe('degraded');
    expect(r.reason.params.step).toBe('CreatePullPointSubscription');
    await cam.set({ events: 'ok' });
    await probeUntil(config, (x) => x.verdict === 'up');
  });

  it('unsubscribes when the runtime releases the camera', async () => {
    const { cam, config } = await camera();
    await probe(config);
    await waitFor(() => cam.eventSubscriptions === 1, 'a subscription', 20_000);
    await onvifProbe.release!(config);
    await waitFor(() => cam.eventSubscriptions === 0, 'the unsubscribe', 20_000);
    expect(cam.requests.Unsubscribe).toBe(1);
  });

  it('does not hold a stopping gateway on a camera that hangs: release ends in seconds', async () => {
    const { cam, config } = await camera();
    await probe(config);
    await waitFor(() => cam.eventSubscriptions === 1, 'a subscription', 20_000);
    await cam.set({ hang: true });
    const t0 = performance.now();
    await onvifProbe.release!(config);
    // The Unsubscribe is never answered: the watcher gives up after its 2 s, not the 30 s socket timeout.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});
