import { describe, expect, it } from 'vitest';
import { type CommuneFile, CommuneFileSchema } from '../../../config/schema/commune.ts';
import { AvailabilityEngine } from '../../../services/availability/engine.ts';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import { ServiceRuns } from '../../../services/availability/service-runs.ts';
import type { StateChange } from '../../../services/availability/states.ts';
import { FencedIntervalLog, FencedServiceRuns } from '../../../services/ingest/external/fencing.ts';
import { DeviceDirectory } from '../../../services/inventory/device-directory.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { type Db, openDb } from '../../../services/store/db.ts';
import { miniCommune } from '../../fixtures/mini-commune.ts';

const T0 = Date.parse('2026-11-23T08:00:00+07:00');
const log = createLogger({ level: 'silent' });

const LAST_WILL = { code: 'last-will', params: {} } as const;

function setup(db: Db = openDb(':memory:'), startTs = T0, commune: CommuneFile = miniCommune()) {
  let now = startTs;
  const changes: StateChange[] = [];
  const directory = new DeviceDirectory({ communes: [commune] });
  const intervals = new IntervalLog(db);
  const engine = new AvailabilityEngine({
    directory,
    intervals,
    runs: new ServiceRuns(db),
    clock: () => now,
    checkIntervalMs: 60_000,
    aliveIntervalMs: 60_000,
    onChange: (c) => changes.push(c),
    log,
  });
  engine.start();
  return {
    db,
    engine,
    intervals,
    changes,
    advance(ms: number) {
      now += ms;
      engine.check();
    },
    now: () => now,
  };
}

describe('availability engine', () => {
  it('opens an unknown interval from the commissioning date, then goes up on the first heartbeat', () => {
    const s = setup();
    s.engine.heard('cam-1', T0 + 1000, { v: 1 });
    expect(s.engine.get('cam-1')?.state).toBe('up');
    const history = s.intervals.history('cam-1', 0, T0 + 10_000);
    expect(history.map((h) => [h.state, h.reason])).toEqual([
      ['up', 'heartbeat'],
      ['unknown', 'awaiting-evidence'],
    ]);
    expect(history[1]!.startTs).toBe(Date.parse('2026-01-01T00:00:00+07:00'));
    expect(history[1]!.endTs).toBe(T0 + 1000);
    s.engine.stop();
  });

  it('marks a mains camera down once heartbeat interval + grace pass in silence, dated when it became late', () => {
    const s = setup();
    s.engine.heard('cam-1', T0, { v: 1 });
    s.engine.heard('net-1', T0 + 50_000);
    s.advance(59_000);
    expect(s.engine.get('cam-1')?.state).toBe('up');
    s.advance(2_000);
    const cam = s.engine.get('cam-1')!;
    expect(cam.state).toBe('down');
    expect(cam.reason).toBe('heartbeat-late');
    expect(cam.sinceTs).toBe(T0 + 60_000);
    s.engine.stop();
  });

  it('treats a last will as down for a camera but not for a sleepy soil sensor', () => {
    const s = setup();
    s.engine.heard('cam-1', T0);
    s.engine.heard('soil-1', T0);
    const gatewayAlive = () => s.engine.heard('gw-1', s.now());
    s.engine.status('cam-1', 'offline', T0 + 5000, LAST_WILL);
    s.engine.status('soil-1', 'offline', T0 + 5000, LAST_WILL);
    expect(s.engine.get('cam-1')?.state).toBe('down');
    expect(s.engine.get('cam-1')?.reason).toBe('last-will');
    expect(s.engine.get('soil-1')?.state).toBe('up');
    // 30 minutes of sleep is by design; past 30 + 35 minutes the sensor is down.
    for (let i = 0; i < 31; i++) {
      gatewayAlive();
      s.advance(60_000);
    }
    expect(s.engine.get('soil-1')?.state).toBe('up');
    for (let i = 0; i < 35; i++) {
      gatewayAlive();
      s.advance(60_000);
    }
    expect(s.engine.get('soil-1')?.state).toBe('down');
    s.engine.stop();
  });

  it('puts the devices behind a down uplink into unreachable, one root cause', () => {
    const s = setup();
    for (const id of ['net-1', 'cam-1', 'wifi-1']) s.engine.heard(id, T0);
    s.engine.status('net-1', 'down', T0 + 1000, { code: 'no-reply', params: { timeoutMs: 2000 } });
    expect(s.engine.get('net-1')?.state).toBe('down');
    s.advance(3 * 60_000);
    expect(s.engine.get('cam-1')?.state).toBe('unreachable');
    expect(s.engine.get('cam-1')).toMatchObject({
      reason: 'upstream-down',
      params: { deviceId: 'net-1', name: 'Đường truyền NVH', type: 'uplink' },
    });
    expect(s.engine.get('wifi-1')?.state).toBe('unreachable');
    const downs = s.changes.filter((c) => c.state === 'down' && c.deviceId !== 'gw-1');
    expect(downs.map((c) => c.deviceId)).toEqual(['net-1']);
    // The uplink recovers; devices still silent after their grace are down in their own right.
    s.engine.heard('net-1', s.now());
    s.engine.heard('cam-1', s.now());
    expect(s.engine.get('cam-1')?.state).toBe('up');
    for (let i = 0; i < 5; i++) {
      s.advance(30_000);
      s.engine.heard('net-1', s.now());
    }
    expect(s.engine.get('wifi-1')?.state).toBe('down');
    expect(s.engine.get('wifi-1')?.reason).toBe('heartbeat-late');
    s.engine.stop();
  });

  it('keeps a gateway verdict of degraded until the gateway says up', () => {
    const s = setup();
    s.engine.heard('cam-1', T0);
    s.engine.status('cam-1', 'degraded', T0 + 10, { code: 'clock-drift', params: { seconds: 120 } });
    s.engine.heard('cam-1', T0 + 20);
    expect(s.engine.get('cam-1')).toMatchObject({
      state: 'degraded',
      reason: 'clock-drift',
      params: { seconds: 120 },
    });
    s.engine.status('cam-1', 'up', T0 + 30);
    expect(s.engine.get('cam-1')?.state).toBe('up');
    s.engine.stop();
  });

  it('takes a degraded verdict as a sign of life: a camera covered for hours stays degraded, never late', () => {
    const s = setup();
    const covered = { code: 'camera-covered', params: { stddev: 1, threshold: 6 } } as const;
    s.engine.status('cam-1', 'degraded', T0, covered);
    // The probe repeats its unchanged verdict within the camera's window (60 s here) for an hour.
    for (let i = 0; i < 60; i++) {
      s.engine.heard('net-1', s.now());
      s.advance(50_000);
      s.engine.status('cam-1', 'degraded', s.now(), covered);
      expect(s.engine.get('cam-1')).toMatchObject({ state: 'degraded', reason: 'camera-covered' });
    }
    expect(s.engine.get('cam-1')?.sinceTs).toBe(T0);
    // Silence after it is still late (its line, cam-1's upstream, still answering).
    s.advance(30_000);
    s.engine.heard('net-1', s.now());
    s.advance(31_000);
    expect(s.engine.get('cam-1')?.reason).toBe('heartbeat-late');
    s.engine.stop();
  });

  it('records no interval before the commissioning date', () => {
    const s = setup();
    s.engine.heard('cam-2', T0);
    expect(s.engine.get('cam-2')?.reason).toBe('not-commissioned');
    expect(s.intervals.history('cam-2', 0, T0 + 1)).toEqual([]);
    s.engine.stop();
  });

  it('after a restart, records the time the service was down as unknown, not up', () => {
    const db = openDb(':memory:');
    const first = setup(db);
    first.engine.heard('cam-1', T0);
    first.advance(10_000);
    first.engine.heard('cam-1', first.now());
    first.engine.flushHeard();
    // Crash: no stop(); the last alive mark is the start (alive ticks run each minute here).
    const restartTs = T0 + 3_600_000;
    const second = setup(db, restartTs);
    const cam = second.engine.get('cam-1')!;
    expect(cam.state).toBe('unknown');
    expect(cam.reason).toBe('service-restart');
    const [latest, before] = second.intervals.history('cam-1', 0, restartTs + 1);
    expect(before).toMatchObject({ state: 'up', endTs: T0 });
    expect(latest).toMatchObject({ state: 'unknown', startTs: T0, endTs: null });
    expect(cam.lastHeardTs).toBe(T0 + 10_000);
    second.engine.heard('cam-1', restartTs + 5000);
    expect(second.engine.get('cam-1')?.state).toBe('up');
    second.engine.stop();
  });

  it('shows a device unknown, not down, while its adapter cannot judge it; an up verdict clears it', () => {
    const s = setup();
    s.engine.heard('cam-1', T0);
    s.engine.status('cam-1', 'unknown', T0 + 1000, {
      code: 'adapter-crashed',
      params: { detail: 'onvif: TypeError' },
    });
    expect(s.engine.get('cam-1')).toMatchObject({
      state: 'unknown',
      reason: 'adapter-crashed',
      params: { detail: 'onvif: TypeError' },
    });
    // Well past its window: the silence is the broken monitoring's, not an outage.
    for (let i = 0; i < 5; i++) {
      s.engine.heard('net-1', s.now());
      s.advance(60_000);
    }
    expect(s.engine.get('cam-1')?.state).toBe('unknown');
    expect(s.changes.filter((c) => c.deviceId === 'cam-1' && c.state === 'down')).toEqual([]);
    s.engine.status('cam-1', 'up', s.now());
    expect(s.engine.get('cam-1')?.state).toBe('up');
    // Cleared: silence counts again.
    for (let i = 0; i < 3; i++) {
      s.engine.heard('net-1', s.now());
      s.advance(30_000);
    }
    expect(s.engine.get('cam-1')?.state).toBe('down');
    s.engine.stop();
  });

  it("clears an adapter's unknown verdict on the device's own sign of life", () => {
    const s = setup();
    s.engine.status('wifi-1', 'unknown', T0, { code: 'adapter-config', params: { detail: 'no host' } });
    expect(s.engine.get('wifi-1')?.reason).toBe('adapter-config');
    s.engine.heard('wifi-1', T0 + 10, { v: 1 });
    expect(s.engine.get('wifi-1')).toMatchObject({ state: 'up', reason: 'heartbeat' });
    for (let i = 0; i < 3; i++) {
      s.engine.heard('net-1', s.now());
      s.advance(60_000);
    }
    expect(s.engine.get('wifi-1')?.state).toBe('down');
    s.engine.stop();
  });

  it('records a verdict given without a reason as reporter-verdict', () => {
    const s = setup();
    s.engine.heard('cam-1', T0);
    s.engine.status('cam-1', 'down', T0 + 1);
    expect(s.engine.get('cam-1')).toMatchObject({ state: 'down', reason: 'reporter-verdict', params: {} });
    s.engine.stop();
  });

  it('makes a device with two upstreams unreachable only when both are down', () => {
    const base = miniCommune();
    const commune = CommuneFileSchema.parse({
      ...base,
      devices: [
        ...base.devices,
        {
          id: 'net-2',
          type: 'uplink',
          name: 'Đường truyền dự phòng',
          site: 'nvh-1',
          installedAt: '2026-01-01',
        },
        {
          id: 'wifi-2',
          type: 'wifi-ap',
          name: 'Wi-Fi hai đường',
          site: 'nvh-1',
          installedAt: '2026-01-01',
          dependsOn: ['net-1', 'net-2'],
        },
      ],
    });
    const s = setup(openDb(':memory:'), T0, commune);
    for (const id of ['net-1', 'net-2', 'wifi-2']) s.engine.heard(id, T0);
    s.engine.status('net-1', 'down', T0 + 1000, { code: 'no-reply', params: { timeoutMs: 2000 } });
    // One line left: silence past its window is the device's own outage.
    for (let i = 0; i < 6; i++) {
      s.engine.heard('net-2', s.now());
      s.advance(30_000);
    }
    expect(s.engine.get('wifi-2')).toMatchObject({ state: 'down', reason: 'heartbeat-late' });
    // The second line goes too: one root cause, the device is unreachable behind both.
    s.engine.status('net-2', 'down', s.now(), { code: 'no-reply', params: { timeoutMs: 2000 } });
    expect(s.engine.get('wifi-2')).toMatchObject({
      state: 'unreachable',
      reason: 'upstreams-down',
      params: { deviceIds: 'net-1, net-2' },
    });
    // One line back: the device gets a fresh window, then is down in its own right.
    s.engine.heard('net-1', s.now());
    expect(s.engine.get('wifi-2')?.state).toBe('unreachable');
    for (let i = 0; i < 6; i++) {
      s.engine.heard('net-1', s.now());
      s.advance(30_000);
    }
    expect(s.engine.get('wifi-2')?.state).toBe('down');
    s.engine.stop();
  });

  it('keeps a device in maintenance across a crash: unknown for the gap, then maintenance, never late', () => {
    const db = openDb(':memory:');
    const first = setup(db);
    first.engine.heard('wifi-1', T0);
    first.engine.heard('net-1', T0);
    first.engine.setMaintenance('wifi-1', true, 'kythuat.thu');
    expect(first.engine.get('wifi-1')?.state).toBe('maintenance');
    // Crash: no stop(). The restart comes an hour later, far past the Wi-Fi's heartbeat window.
    const restartTs = T0 + 3_600_000;
    const second = setup(db, restartTs);
    second.engine.heard('net-1', restartTs);
    expect(second.engine.get('wifi-1')).toMatchObject({ state: 'maintenance', reason: 'maintenance' });
    for (let i = 0; i < 10; i++) second.advance(60_000);
    expect(second.engine.get('wifi-1')?.state).toBe('maintenance');
    const history = second.intervals.history('wifi-1', 0, second.now() + 1);
    expect(history.slice(0, 3).map((h) => [h.state, h.reason, h.startTs])).toEqual([
      ['maintenance', 'maintenance', restartTs],
      ['unknown', 'service-restart', T0],
      ['maintenance', 'maintenance', T0],
    ]);
    expect(history.some((h) => h.state === 'down')).toBe(false);
    expect([...second.intervals.maintenances().values()]).toEqual([
      {
        deviceId: 'wifi-1',
        communeId: 'xa-thu',
        setBy: 'kythuat.thu',
        setTs: T0,
        reason: null,
        untilTs: null,
      },
    ]);
    // Taken out of maintenance: forgotten, so the next restart leaves it to the evidence.
    second.engine.setMaintenance('wifi-1', false);
    expect(second.intervals.maintenances().size).toBe(0);
    second.engine.stop();
    const third = setup(db, second.now() + 60_000);
    expect(third.engine.get('wifi-1')?.state).toBe('unknown');
    third.advance(200_000);
    // Watched again: silent past its window, it is judged (behind its silent uplink: unreachable).
    expect(third.engine.get('wifi-1')?.state).toMatch(/^(down|unreachable)$/);
    third.engine.stop();
  });

  it('hands maintenance over with a commune: the new holder of the lease restores it', () => {
    const db = openDb(':memory:');
    let owner = 'worker-a';
    const shard = (startTs: number) => {
      let now = startTs;
      const fence = { db, holds: () => owner === me, onFenced: () => {} };
      const me = owner;
      const engine = new AvailabilityEngine({
        directory: new DeviceDirectory({ communes: [miniCommune()] }),
        intervals: new FencedIntervalLog(fence),
        runs: new FencedServiceRuns(fence, 'xa-thu'),
        clock: () => now,
        checkIntervalMs: 60_000,
        aliveIntervalMs: 60_000,
        onChange: () => {},
        log,
      });
      engine.start();
      const advance = (ms: number) => {
        now += ms;
        engine.check();
      };
      return { engine, advance };
    };
    const a = shard(T0);
    a.engine.heard('net-1', T0);
    a.engine.setMaintenance('wifi-1', true, 'kythuat.thu');
    // Worker A stalls; its lease lapses and worker B takes the commune five minutes later.
    owner = 'worker-b';
    const b = shard(T0 + 300_000);
    b.advance(600_000);
    expect(b.engine.get('wifi-1')?.state).toBe('maintenance');
    // The stalled holder wakes up: its writes are fenced off and change nothing.
    a.engine.setMaintenance('wifi-1', false);
    expect(new IntervalLog(db).maintenances().has('wifi-1')).toBe(true);
    b.engine.stop();
  });

  it('shows the devices that are up behind a degraded uplink as degraded with its cause, and back on recovery', () => {
    const s = setup();
    for (const id of ['net-1', 'cam-1', 'wifi-1']) s.engine.heard(id, T0);
    s.engine.status('wifi-1', 'degraded', T0 + 10, { code: 'clock-drift', params: { seconds: 90 } });
    s.engine.status('net-1', 'degraded', T0 + 100, {
      code: 'latency-high',
      params: { latencyMs: 900, thresholdMs: 300 },
    });
    expect(s.engine.get('cam-1')).toMatchObject({
      state: 'degraded',
      reason: 'upstream-degraded',
      params: { deviceId: 'net-1', name: 'Đường truyền NVH', type: 'uplink' },
      sinceTs: T0 + 100,
    });
    // Its own trouble outranks its upstream's: a device already degraded keeps its own reason.
    expect(s.engine.get('wifi-1')).toMatchObject({ state: 'degraded', reason: 'clock-drift' });
    // Heartbeats meanwhile do not clear the cause, nor does a fresh latency figure re-open it.
    s.engine.heard('cam-1', T0 + 200, { v: 1 });
    s.engine.status('net-1', 'degraded', T0 + 300, {
      code: 'latency-high',
      params: { latencyMs: 950, thresholdMs: 300 },
    });
    expect(s.changes.filter((c) => c.deviceId === 'cam-1' && c.state === 'degraded')).toHaveLength(1);
    s.engine.status('net-1', 'up', T0 + 400);
    expect(s.engine.get('cam-1')).toMatchObject({ state: 'up', reason: 'heartbeat', sinceTs: T0 + 400 });
    expect(s.engine.get('wifi-1')).toMatchObject({ state: 'degraded', reason: 'clock-drift' });
    s.engine.stop();
  });

  it('names the root of a chain, read by its type: sensors behind a LoRa gateway behind a line', () => {
    const base = miniCommune();
    const commune = CommuneFileSchema.parse({
      ...base,
      devices: base.devices.map((d) => (d.id === 'gw-1' ? { ...d, dependsOn: ['net-1'] } : d)),
    });
    const s = setup(openDb(':memory:'), T0, commune);
    for (const id of ['net-1', 'gw-1', 'soil-1']) s.engine.heard(id, T0);
    s.engine.status('net-1', 'degraded', T0 + 10, {
      code: 'icmp-loss',
      params: { lossPct: 40, sent: 5, received: 3 },
    });
    const viaLine = { deviceId: 'net-1', name: 'Đường truyền NVH', type: 'uplink' };
    expect(s.engine.get('gw-1')).toMatchObject({ state: 'degraded', params: viaLine });
    expect(s.engine.get('soil-1')).toMatchObject({
      state: 'degraded',
      reason: 'upstream-degraded',
      params: viaLine,
    });
    s.engine.status('net-1', 'up', T0 + 20);
    expect(s.engine.get('soil-1')?.state).toBe('up');
    // The gateway itself fails: its sensor's cause reads as the gateway, not as an internet line.
    s.engine.status('gw-1', 'offline', T0 + 30, LAST_WILL);
    for (let i = 0; i < 360; i++) {
      s.engine.heard('net-1', s.now());
      s.advance(30_000);
    }
    expect(s.engine.get('soil-1')).toMatchObject({
      state: 'unreachable',
      reason: 'upstream-down',
      params: { deviceId: 'gw-1', name: 'Gateway LoRa', type: 'gateway' },
    });
    s.engine.stop();
  });
});
