import { describe, expect, it } from 'vitest';
import type { AlertRule } from '../../../config/schema/alerts.ts';
import { causeOf, conditionSince, due } from '../../../services/alerts/conditions.ts';
import { isFlapping, type OpenAlertClock, timedAction } from '../../../services/alerts/lifecycle.ts';
import { recipients } from '../../../services/alerts/routing.ts';
import { alertCommune } from './fixture.ts';

const T = { escalateAfterMs: 15, repeatEveryMs: 30, maxRepeats: 2 };
const firing: OpenAlertClock = {
  status: 'firing',
  step: 0,
  steppedTs: 0,
  notifiedTs: 0,
  repeats: 0,
  ackUntilTs: null,
};

describe('alert lifecycle (pure)', () => {
  it.each([
    ['nothing before T', firing, 2, 14, null],
    ['escalates at T while a next step exists', firing, 2, 15, 'escalate'],
    ['repeats at the last step', { ...firing, step: 1 }, 2, 30, 'repeat'],
    ['stops repeating at the cap', { ...firing, step: 1, repeats: 2 }, 2, 1000, null],
    ['an acknowledged alert waits', { ...firing, status: 'acknowledged', ackUntilTs: 100 }, 2, 99, null],
    [
      'fires again when its acknowledgement expires',
      { ...firing, status: 'acknowledged', ackUntilTs: 100 },
      2,
      100,
      'refire',
    ],
    ['a resolved alert does nothing', { ...firing, status: 'resolved' }, 2, 1000, null],
  ] as const)('%s', (_, clock, steps, now, expected) => {
    expect(timedAction(clock as OpenAlertClock, steps, T, now)).toBe(expected);
  });

  it('flapping is a count of changes reaching the threshold', () => {
    expect(isFlapping(3, 4)).toBe(false);
    expect(isFlapping(4, 4)).toBe(true);
  });
});

describe('alert conditions', () => {
  const d = { id: 'wifi-1', type: 'wifi-ap', hamletId: 'ap-1', siteId: 'nvh-1' };
  const rule = (r: Partial<AlertRule>) =>
    ({ id: 'r', kind: 'down-for', minutes: 10, severity: 'warning', ...r }) as AlertRule;
  const st = { state: 'down', reason: 'last-will', params: {}, sinceTs: 1000, lastHeardTs: 500 } as const;

  it('down-for holds on down and unreachable, not behind a failing upstream, not in maintenance', () => {
    expect(conditionSince(rule({}), d, st)).toBe(1000);
    expect(conditionSince(rule({}), d, { ...st, state: 'unreachable', reason: 'no-reply' })).toBe(1000);
    const behind = {
      ...st,
      state: 'unreachable',
      reason: 'upstream-down',
      params: { deviceId: 'net-1' },
    } as const;
    expect(conditionSince(rule({}), d, behind)).toBeNull();
    expect(causeOf(behind)).toBe('net-1');
    expect(conditionSince(rule({}), d, { ...st, state: 'maintenance' })).toBeNull();
  });

  it('rules are scoped by device type, hamlet and site', () => {
    expect(conditionSince(rule({ deviceTypes: ['camera'] }), d, st)).toBeNull();
    expect(conditionSince(rule({ hamlets: ['ap-2'] }), d, st)).toBeNull();
    expect(conditionSince(rule({ sites: ['nvh-1'], hamlets: ['ap-1'] }), d, st)).toBe(1000);
  });

  it('degraded-for needs one of its reasons; silent counts from the last message heard', () => {
    const deg = { ...st, state: 'degraded', reason: 'latency-high' } as const;
    expect(conditionSince(rule({ kind: 'degraded-for', reasons: ['latency-high'] } as never), d, deg)).toBe(
      1000,
    );
    expect(
      conditionSince(rule({ kind: 'degraded-for', reasons: ['icmp-loss'] } as never), d, deg),
    ).toBeNull();
    expect(conditionSince(rule({ kind: 'silent' }), d, { ...st, state: 'up' })).toBe(500);
    expect(due(rule({ minutes: 10 }), 0, 599_999)).toBe(false);
    expect(due(rule({ minutes: 10 }), 0, 600_000)).toBe(true);
  });
});

describe('alert routing', () => {
  const c = alertCommune();
  const at = (type: string) => ({ id: 'x', type, hamletId: 'ap-1', siteId: 'nvh-1' });
  const names = (type: string, step = 0) =>
    recipients(c, at(type), step)
      .map((u) => u.username)
      .sort();

  it('tells each role only about devices it may see', () => {
    expect(names('wifi-ap')).toEqual(['camera.e', 'kythuat.a']);
    expect(names('soil-sensor')).toEqual(['camera.e', 'kinhte.d', 'kythuat.a']);
    expect(names('uplink')).toEqual(['camera.e', 'congan.c', 'kythuat.a']);
    expect(names('wifi-ap', 1)).toEqual(['lanhdao.b']);
    expect(names('wifi-ap', 2)).toEqual([]);
  });

  it('camera alerts go only to the police and the named camera maintainers', () => {
    expect(names('camera')).toEqual(['camera.e', 'congan.c']);
    expect(names('camera', 1)).toEqual([]);
  });
});
