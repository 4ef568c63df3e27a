import { describe, expect, it } from 'vitest';
import type { DeviceState } from '../../../services/availability/states.ts';
import { fromMs, type StateSpan, sumMs, uptimePct } from '../../../services/kpi/uptime.ts';

const H = 3_600_000;
const span = (state: DeviceState, startH: number, endH: number | null): StateSpan => ({
  state,
  startTs: startH * H,
  endTs: endH === null ? null : endH * H,
});

describe('uptimePct', () => {
  it('counts up and degraded as available, down and unreachable against', () => {
    const u = uptimePct(
      [span('up', 0, 6), span('degraded', 6, 8), span('down', 8, 9), span('unreachable', 9, 10)],
      0,
      10 * H,
    );
    expect(u.availablePct).toBe(80);
    expect(u.ms).toEqual({ available: 8 * H, unavailable: 2 * H, maintenance: 0, unknown: 0 });
    expect(u.unknownPct).toBe(0);
  });

  it('leaves maintenance out of the denominator', () => {
    const u = uptimePct([span('up', 0, 3), span('maintenance', 3, 9), span('down', 9, 10)], 0, 10 * H);
    expect(u.availablePct).toBe(75);
    expect(u.ms.maintenance).toBe(6 * H);
  });

  it('reports unknown separately, neither up nor down', () => {
    const u = uptimePct([span('unknown', 0, 2), span('up', 2, 10)], 0, 10 * H);
    expect(u.availablePct).toBe(100);
    expect(u.unknownPct).toBe(20);
  });

  it('clips spans to the window and runs an open span to its end', () => {
    const u = uptimePct([span('down', -5, 1), span('up', 1, null)], 0, 4 * H);
    expect(u.ms).toEqual({ available: 3 * H, unavailable: 1 * H, maintenance: 0, unknown: 0 });
    expect(u.availablePct).toBe(75);
  });

  it('ignores spans outside the window and time no span covers (before commissioning)', () => {
    const u = uptimePct([span('down', -10, -1), span('up', 5, 10), span('down', 12, 20)], 0, 10 * H);
    expect(u.availablePct).toBe(100);
    expect(u.ms.available).toBe(5 * H);
  });

  it('answers null, not 0 or 100, when nothing was judged', () => {
    expect(uptimePct([], 0, H)).toEqual({
      availablePct: null,
      unknownPct: null,
      ms: { available: 0, unavailable: 0, maintenance: 0, unknown: 0 },
    });
    const onlyMaintenance = uptimePct([span('maintenance', 0, 1)], 0, H);
    expect(onlyMaintenance.availablePct).toBeNull();
    const onlyUnknown = uptimePct([span('unknown', 0, 1)], 0, H);
    expect(onlyUnknown.availablePct).toBeNull();
    expect(onlyUnknown.unknownPct).toBe(100);
  });

  it('weights several devices by time when their milliseconds are summed', () => {
    const a = uptimePct([span('up', 0, 10)], 0, 10 * H);
    const b = uptimePct([span('up', 0, 5), span('down', 5, 10)], 0, 10 * H);
    expect(fromMs(sumMs([a.ms, b.ms])).availablePct).toBe(75);
    // The same as passing both devices' spans at once.
    expect(
      uptimePct([span('up', 0, 10), span('up', 0, 5), span('down', 5, 10)], 0, 10 * H).availablePct,
    ).toBe(75);
  });

  it('rounds to two decimals', () => {
    expect(uptimePct([span('up', 0, 2), span('down', 2, 3)], 0, 3 * H).availablePct).toBe(66.67);
  });
});
