import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { http } from '../../../gateway/probes/http.ts';
import type { DeviceProbe, ProbeResult } from '../../../gateway/probes/probe.ts';
import { tcp } from '../../../gateway/probes/tcp.ts';
import type { EventDoc, StatusDoc, TelemetryDoc } from '../../../gateway/probes/wire.ts';
import { type ProbeTarget, type ResultSink, Scheduler } from '../../../gateway/runtime/scheduler.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { type Closable, silentServer, tcpListener } from '../../standins/probe-targets.ts';

const log = createLogger({ level: 'silent' });

/** Collects what the scheduler would publish, per device. */
class Sink implements ResultSink {
  readonly statuses: Array<{ device: string; atRun: number } & StatusDoc> = [];
  readonly telemetries: Array<{ device: string } & TelemetryDoc> = [];
  readonly events: Array<{ device: string } & EventDoc> = [];
  status(t: ProbeTarget, d: StatusDoc) {
    // The run's telemetry is published before its status: atRun is this run's number.
    this.statuses.push({ device: t.deviceId, atRun: this.runs(t.deviceId), ...d });
  }
  telemetry(t: ProbeTarget, d: TelemetryDoc) {
    this.telemetries.push({ device: t.deviceId, ...d });
  }
  event(t: ProbeTarget, d: EventDoc) {
    this.events.push({ device: t.deviceId, ...d });
  }
  runs(device: string) {
    return this.telemetries.filter((t) => t.device === device).length;
  }
}

/** A test probe: its config is the list of verdicts to give, one per call. */
function scripted(): DeviceProbe<{ script: string[] }> & { calls: number } {
  const p = {
    kind: 'scripted',
    label: { vi: 'Kịch bản', en: 'Scripted' },
    configSchema: z.strictObject({ script: z.array(z.string()) }),
    exampleConfig: { script: ['up'] },
    calls: 0,
    async probe(c: { script: string[] }): Promise<ProbeResult> {
      const v = c.script[Math.min(p.calls++, c.script.length - 1)] as 'up' | 'down';
      return {
        verdict: v,
        reason: { code: v === 'up' ? 'ok' : 'icmp-loss', params: {} },
        metrics: { n: p.calls },
      };
    },
  };
  return p;
}

function target(
  deviceId: string,
  probe: ProbeTarget['probe'],
  config: unknown,
  over: Partial<ProbeTarget> = {},
): ProbeTarget {
  return {
    deviceId,
    communeId: 'ta-lai',
    probe,
    config,
    intervalSec: 0.02,
    timeoutMs: 1000,
    retries: 0,
    confirmations: 1,
    ...over,
  };
}

let scheduler: Scheduler | undefined;
const closables: Closable[] = [];
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
  await Promise.all(closables.splice(0).map((c) => c.close()));
});

function start(
  targets: ProbeTarget[],
  sink: Sink,
  over: { concurrency?: number; statusRefreshSec?: number } = {},
) {
  scheduler = new Scheduler({
    targets,
    sink,
    concurrency: over.concurrency ?? 8,
    jitterPct: 10,
    statusRefreshSec: over.statusRefreshSec ?? 3600,
    log,
    random: () => 0,
  });
  scheduler.start();
  return scheduler;
}

describe('Scheduler', () => {
  it('changes the verdict only after `confirmations` results in a row disagree with it', async () => {
    const probe = scripted();
    const sink = new Sink();
    const script = ['up', 'up', 'up', 'down', 'up', 'down', 'down', 'down', 'down'];
    start([target('tl-net-ubnd', probe, { script }, { confirmations: 3 })], sink);
    await expect
      .poll(() => sink.runs('tl-net-ubnd'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(script.length);
    await scheduler!.stop();
    // up confirmed at run 3; the lone down at run 4 changes nothing; down confirmed at run 8.
    expect(sink.statuses.map((s) => s.state)).toEqual(['up', 'down']);
    expect(sink.statuses.map((s) => s.atRun)).toEqual([3, 8]);
    expect(sink.statuses[1]!.reason.code).toBe('icmp-loss');
  });

  it('retries a down result at once, and counts each run by the reason of its final result', async () => {
    const probe = scripted();
    const sink = new Sink();
    start([target('tl-lan-ubnd', probe, { script: ['down', 'up'] }, { retries: 1 })], sink);
    await expect.poll(() => sink.statuses.length).toBeGreaterThanOrEqual(1);
    expect(sink.statuses[0]!.state).toBe('up');
    expect(scheduler!.stats().targets[0]!.byReason.ok).toBeGreaterThanOrEqual(1);
    expect(scheduler!.stats().targets[0]!.byReason['icmp-loss']).toBeUndefined();
  });

  it("publishes an event at the time the target gave it (a controller's play), else at the run's end", async () => {
    const playedTs = Date.parse('2026-12-01T23:00:04Z');
    const withEvents: DeviceProbe<object> = {
      ...scripted(),
      configSchema: z.strictObject({}),
      exampleConfig: {},
      probe: async () => ({
        verdict: 'up',
        reason: { code: 'ok', params: {} },
        metrics: {},
        events: [
          { type: 'broadcast-played', severity: 'info', detail: {}, ts: playedTs },
          { type: 'snmp-reboot', severity: 'warning', detail: {} },
        ],
      }),
    };
    const sink = new Sink();
    const before = Date.now();
    start([target('tl-loa-01', withEvents, {})], sink);
    await expect.poll(() => sink.events.length).toBeGreaterThanOrEqual(2);
    expect(sink.events[0]).toMatchObject({ type: 'broadcast-played', ts: playedTs });
    expect(sink.events[1]!.ts).toBeGreaterThanOrEqual(before);
  });

  it('a probe that throws is unknown / probe-error, never down', async () => {
    const broken: DeviceProbe<object> = {
      ...scripted(),
      configSchema: z.strictObject({}),
      exampleConfig: {},
      probe: () => Promise.reject(new Error('bug: cannot read property')),
    };
    const sink = new Sink();
    start([target('tl-net-ca', broken, {})], sink);
    await expect.poll(() => sink.statuses.length).toBeGreaterThanOrEqual(1);
    expect(sink.statuses[0]).toMatchObject({ state: 'unknown', reason: { code: 'probe-error' } });
  });

  it('enforces the timeout on a probe that ignores its signal, and refreshes the verdict periodically', async () => {
    const deaf: DeviceProbe<object> = {
      ...scripted(),
      configSchema: z.strictObject({}),
      exampleConfig: {},
      probe: () => new Promise<never>(() => {}),
    };
    const sink = new Sink();
    start([target('tl-net-tyt', deaf, {}, { timeoutMs: 100 })], sink, { statusRefreshSec: 0 });
    await expect.poll(() => sink.statuses.length).toBeGreaterThanOrEqual(2);
    expect(sink.statuses[0]).toMatchObject({
      state: 'down',
      reason: { code: 'probe-timeout', params: { timeoutMs: 100 } },
    });
    expect(sink.statuses[1]!.ts).toBeGreaterThan(sink.statuses[0]!.ts);
  });

  it('hanging targets hold a slot only until their timeout: a healthy target keeps its pace', async () => {
    const [hang, open] = await Promise.all([silentServer(), tcpListener()]);
    closables.push(hang, open);
    const sink = new Sink();
    // The hanging probes time out long after the healthy one needs for three runs, even on a
    // starved machine: what is proved is the order of outcomes, not a pace in milliseconds.
    const hangers = [1, 2, 3].map((i) =>
      target(`tl-hang-${i}`, http, http.configSchema.parse({ url: `http://127.0.0.1:${hang.port}/` }), {
        timeoutMs: 4000,
        intervalSec: 10,
      }),
    );
    const healthy = target('tl-ok', tcp, { host: '127.0.0.1', port: open.port }, { intervalSec: 0.05 });
    // Four slots, three of them taken by hanging probes at any moment.
    start([...hangers, healthy], sink, { concurrency: 4 });
    await expect.poll(() => sink.runs('tl-ok'), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    // The healthy one ran three times while the three hanging ones still held their slots.
    expect(sink.statuses.filter((s) => s.device.startsWith('tl-hang'))).toHaveLength(0);
    expect(scheduler!.stats().inUse).toBeGreaterThanOrEqual(3);
    await expect
      .poll(() => sink.statuses.filter((s) => s.device.startsWith('tl-hang')).length, { timeout: 20_000 })
      .toBe(3);
    for (const s of sink.statuses.filter((x) => x.device.startsWith('tl-hang')))
      expect(s).toMatchObject({ state: 'down', reason: { code: 'probe-timeout' } });
  });

  it('never runs more probes at once than its concurrency', async () => {
    let now = 0;
    let peak = 0;
    const slow: DeviceProbe<object> = {
      ...scripted(),
      configSchema: z.strictObject({}),
      exampleConfig: {},
      async probe() {
        peak = Math.max(peak, ++now);
        await new Promise((r) => setTimeout(r, 30));
        now--;
        return { verdict: 'up', reason: { code: 'ok', params: {} }, metrics: { x: 1 } };
      },
    };
    const sink = new Sink();
    const targets = Array.from({ length: 20 }, (_, i) => target(`tl-d${i}`, slow, {}));
    start(targets, sink, { concurrency: 4 });
    await expect.poll(() => sink.telemetries.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(60);
    expect(peak).toBe(4);
    expect(scheduler!.stats().maxInUse).toBe(4);
  });
});
