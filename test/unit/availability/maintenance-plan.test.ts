/**
 * Issue #17: maintenance has a reason and a planned end at which it ends itself, also when the
 * end passes while the service is down; maintenance planned ahead starts at its time.
 */
import { describe, expect, it } from 'vitest';
import { AvailabilityEngine } from '../../../services/availability/engine.ts';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import { ServiceRuns } from '../../../services/availability/service-runs.ts';
import { DeviceDirectory } from '../../../services/inventory/device-directory.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { type Db, openDb } from '../../../services/store/db.ts';
import { miniCommune } from '../../fixtures/mini-commune.ts';

const T0 = Date.parse('2026-11-23T08:00:00+07:00');
const HOUR = 3_600_000;

function setup(db: Db, startTs: number) {
  let now = startTs;
  const intervals = new IntervalLog(db);
  const engine = new AvailabilityEngine({
    directory: new DeviceDirectory({ communes: [miniCommune()] }),
    intervals,
    runs: new ServiceRuns(db),
    clock: () => now,
    checkIntervalMs: 60_000,
    aliveIntervalMs: 60_000,
    onChange: () => {},
    log: createLogger({ level: 'silent' }),
  });
  engine.start();
  return {
    engine,
    intervals,
    at(ts: number) {
      now = ts;
      engine.check();
    },
  };
}

describe('planned maintenance', () => {
  it('keeps who, why and until when, and ends itself at the planned end', () => {
    const s = setup(openDb(':memory:'), T0);
    s.engine.heard('wifi-1', T0);
    s.engine.setMaintenance('wifi-1', true, 'kythuat.thu', {
      reason: 'Thay bộ nguồn',
      untilTs: T0 + 2 * HOUR,
    });
    expect(s.intervals.maintenances().get('wifi-1')).toMatchObject({
      setBy: 'kythuat.thu',
      reason: 'Thay bộ nguồn',
      untilTs: T0 + 2 * HOUR,
    });
    s.at(T0 + 2 * HOUR - 1);
    expect(s.engine.get('wifi-1')?.state).toBe('maintenance');
    s.at(T0 + 2 * HOUR);
    expect(s.engine.get('wifi-1')).toMatchObject({ state: 'unknown', reason: 'awaiting-evidence' });
    expect(s.intervals.maintenances().size).toBe(0);
    s.engine.stop();
  });

  it('ends it at start when the planned end passed while the service was down, the gap unknown', () => {
    const db = openDb(':memory:');
    const first = setup(db, T0);
    first.engine.heard('wifi-1', T0);
    first.engine.setMaintenance('wifi-1', true, 'kythuat.thu', { reason: 'Đổi ăng-ten', untilTs: T0 + HOUR });
    first.engine.stop();
    const second = setup(db, T0 + 3 * HOUR);
    expect(second.engine.get('wifi-1')).toMatchObject({ state: 'unknown', reason: 'service-restart' });
    expect(second.intervals.maintenances().size).toBe(0);
    // Watched again: silent past its window (its line too), it is judged, not kept in maintenance.
    second.at(T0 + 4 * HOUR);
    expect(['down', 'unreachable']).toContain(second.engine.get('wifi-1')?.state);
    second.engine.stop();
  });

  it('keeps maintenance across a restart before its end, then ends it on time', () => {
    const db = openDb(':memory:');
    const first = setup(db, T0);
    first.engine.heard('wifi-1', T0);
    first.engine.setMaintenance('wifi-1', true, 'kythuat.thu', {
      reason: 'Đổi ăng-ten',
      untilTs: T0 + 5 * HOUR,
    });
    first.engine.stop();
    const second = setup(db, T0 + HOUR);
    expect(second.engine.get('wifi-1')?.state).toBe('maintenance');
    expect(second.intervals.maintenances().get('wifi-1')).toMatchObject({
      setTs: T0,
      untilTs: T0 + 5 * HOUR,
    });
    second.at(T0 + 5 * HOUR);
    expect(second.engine.get('wifi-1')?.state).toBe('unknown');
    second.engine.stop();
  });

  it('starts maintenance planned ahead at its start, even after a restart, and drops the plan', () => {
    const db = openDb(':memory:');
    const first = setup(db, T0);
    first.engine.heard('wifi-1', T0);
    first.intervals.addPlan({
      deviceId: 'wifi-1',
      communeId: 'xa-thu',
      startTs: T0 + 2 * HOUR,
      untilTs: T0 + 3 * HOUR,
      reason: 'Cắt điện theo lịch',
      setBy: 'kythuat.thu',
      setTs: T0,
    });
    first.at(T0 + HOUR);
    expect(first.engine.get('wifi-1')?.state).not.toBe('maintenance');
    first.engine.stop();
    const second = setup(db, T0 + 2 * HOUR + 1000);
    second.at(T0 + 2 * HOUR + 1000);
    expect(second.engine.get('wifi-1')?.state).toBe('maintenance');
    expect(second.intervals.maintenances().get('wifi-1')).toMatchObject({
      setBy: 'kythuat.thu',
      reason: 'Cắt điện theo lịch',
      untilTs: T0 + 3 * HOUR,
    });
    expect(second.intervals.plans()).toEqual([]);
    second.at(T0 + 3 * HOUR);
    expect(second.engine.get('wifi-1')?.state).toBe('unknown');
    second.engine.stop();
  });
});
