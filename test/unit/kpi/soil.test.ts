import { describe, expect, it } from 'vitest';
import { batteryTrend, dailyCompleteness, localDay } from '../../../services/kpi/soil.ts';

const DAY = 86_400_000;
const H = 3_600_000;
/** 2026-03-10 00:00 in Vietnam (UTC+7) is 2026-03-09 17:00 UTC. */
const VN_MIDNIGHT = Date.parse('2026-03-09T17:00:00Z');

describe('batteryTrend', () => {
  it('fits a steady drain and names the days until empty', () => {
    // 90 % falling 2 % a day, read every 6 h for 10 days.
    const readings = Array.from({ length: 41 }, (_, i) => ({
      ts: VN_MIDNIGHT + i * 6 * H,
      value: 90 - i * 0.5,
    }));
    const t = batteryTrend(readings, { windowDays: 14, emptyAt: 0 })!;
    expect(t.slopePerDay).toBeCloseTo(-2, 3);
    expect(t.levelNow).toBeCloseTo(70, 2);
    expect(t.daysToEmpty).toBe(35);
    expect(t.readings).toBe(41);
  });

  it('fits only the last windowDays, so an old battery swap does not hide the drain', () => {
    const old = Array.from({ length: 10 }, (_, i) => ({ ts: VN_MIDNIGHT + i * DAY, value: 20 - i }));
    const fresh = Array.from({ length: 8 }, (_, i) => ({
      ts: VN_MIDNIGHT + (20 + i) * DAY,
      value: 100 - 5 * i,
    }));
    const t = batteryTrend([...old, ...fresh], { windowDays: 7, emptyAt: 0 })!;
    expect(t.readings).toBe(8);
    expect(t.slopePerDay).toBeCloseTo(-5, 3);
    expect(t.daysToEmpty).toBe(13);
  });

  it('measures volts against their own empty level', () => {
    const readings = Array.from({ length: 11 }, (_, i) => ({
      ts: VN_MIDNIGHT + i * DAY,
      value: 3.6 - i * 0.01,
    }));
    const t = batteryTrend(readings, { windowDays: 30, emptyAt: 3.0 })!;
    expect(t.daysToEmpty).toBe(50);
  });

  it('names no day for a flat or rising battery, or too little history', () => {
    const flat = Array.from({ length: 5 }, (_, i) => ({ ts: VN_MIDNIGHT + i * DAY, value: 80 }));
    expect(batteryTrend(flat, { windowDays: 14, emptyAt: 0 })!.daysToEmpty).toBeNull();
    const rising = Array.from({ length: 5 }, (_, i) => ({ ts: VN_MIDNIGHT + i * DAY, value: 50 + i }));
    expect(batteryTrend(rising, { windowDays: 14, emptyAt: 0 })!.daysToEmpty).toBeNull();
    const short = [
      { ts: VN_MIDNIGHT, value: 90 },
      { ts: VN_MIDNIGHT + H, value: 80 },
      { ts: VN_MIDNIGHT + 2 * H, value: 70 },
    ];
    const t = batteryTrend(short, { windowDays: 14, emptyAt: 0 })!;
    expect(t.daysToEmpty).toBeNull();
    expect(t.levelNow).toBe(70);
    expect(batteryTrend([], { windowDays: 14, emptyAt: 0 })).toBeNull();
  });

  it('says empty now (0 days) once the fitted level is already below empty', () => {
    const readings = Array.from({ length: 5 }, (_, i) => ({ ts: VN_MIDNIGHT + i * DAY, value: 4 - 2 * i }));
    expect(batteryTrend(readings, { windowDays: 14, emptyAt: 0 })!.daysToEmpty).toBe(0);
  });
});

describe('dailyCompleteness', () => {
  it('counts uplinks per Vietnamese day, not per UTC day', () => {
    // 23:30 Vietnam time on 10/03 is 16:30 UTC the same date; 00:30 on 11/03 is 17:30 UTC on 10/03.
    const late = VN_MIDNIGHT + 23.5 * H;
    const afterMidnight = VN_MIDNIGHT + 24.5 * H;
    const days = dailyCompleteness([late, afterMidnight], {
      intervalSec: 1800,
      fromTs: VN_MIDNIGHT,
      toTs: VN_MIDNIGHT + 2 * DAY,
    });
    expect(days.map((d) => [d.day, d.received, d.expected])).toEqual([
      ['2026-03-10', 1, 48],
      ['2026-03-11', 1, 48],
    ]);
    expect(localDay(late)).toBe('2026-03-10');
    expect(localDay(afterMidnight)).toBe('2026-03-11');
  });

  it('gives received ÷ expected from the model’s interval, a partial day expecting only its part', () => {
    // A 20-min sensor (Milesight EM500: 72 a day): 60 of them on day one, then half a day with 30.
    const ts = [
      ...Array.from({ length: 60 }, (_, i) => VN_MIDNIGHT + i * 20 * 60_000),
      ...Array.from({ length: 30 }, (_, i) => VN_MIDNIGHT + DAY + i * 20 * 60_000),
    ];
    const days = dailyCompleteness(ts, {
      intervalSec: 1200,
      fromTs: VN_MIDNIGHT,
      toTs: VN_MIDNIGHT + 1.5 * DAY,
    });
    expect(days).toEqual([
      { day: '2026-03-10', received: 60, expected: 72, pct: 83.3 },
      { day: '2026-03-11', received: 30, expected: 36, pct: 83.3 },
    ]);
  });

  it('caps a day at 100 % and gives a silent day 0 %, readings outside the period ignored', () => {
    const ts = [VN_MIDNIGHT - H, ...Array.from({ length: 30 }, (_, i) => VN_MIDNIGHT + i * H * 0.5)];
    const days = dailyCompleteness(ts, {
      intervalSec: 3600,
      fromTs: VN_MIDNIGHT,
      toTs: VN_MIDNIGHT + 2 * DAY,
    });
    expect(days[0]).toEqual({ day: '2026-03-10', received: 30, expected: 24, pct: 100 });
    expect(days[1]).toEqual({ day: '2026-03-11', received: 0, expected: 24, pct: 0 });
    expect(dailyCompleteness(ts, { intervalSec: 3600, fromTs: VN_MIDNIGHT, toTs: VN_MIDNIGHT })).toEqual([]);
  });
});
