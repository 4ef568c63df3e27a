import { describe, expect, it } from 'vitest';
import { dailyClients } from '../../../dashboard/src/components/wifi-days.ts';

const HOUR = 3_600_000;
/** 2026-12-01 00:00 in Asia/Ho_Chi_Minh (UTC+7) is 2026-11-30 17:00 UTC. */
const DAY1 = Date.UTC(2026, 10, 30, 17);

describe('dailyClients', () => {
  it('cuts days at Vietnamese midnight, takes the peak and the count-weighted mean', () => {
    const days = dailyClients([
      { ts: DAY1 - HOUR, min: 0, max: 3, mean: 2, count: 60 }, // 23:00 on 30/11, Vietnamese time
      { ts: DAY1, min: 1, max: 9, mean: 4, count: 60 },
      { ts: DAY1 + 5 * HOUR, min: 2, max: 20, mean: 10, count: 20 },
      { ts: DAY1 + 24 * HOUR, min: 0, max: 5, mean: 1, count: 60 },
    ]);
    expect(days).toEqual([
      { day: '2026-11-30', peak: 3, mean: 2 },
      { day: '2026-12-01', peak: 20, mean: (4 * 60 + 10 * 20) / 80 },
      { day: '2026-12-02', peak: 5, mean: 1 },
    ]);
  });

  it('gives nothing for a series without points', () => {
    expect(dailyClients([])).toEqual([]);
  });
});
