import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uplinkDigestText } from '../../../services/kpi/evaluate.ts';
import { periodContaining } from '../../../services/kpi/periods.ts';
import { farmSensors, readFarmUplinks, uplinksIn } from '../../../services/soil/uplinks.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import type { Reading } from '../../../services/store/store.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const H = 3_600_000;
const MARCH = periodContaining('month', Date.parse('2026-03-15T12:00:00+07:00'));
const dir = mkdtempSync(join(tmpdir(), 'cx-farm-uplinks-'));
const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });

const commune = (targets: boolean) =>
  buildCommune({
    sites: [{ id: 'vuon', kind: 'farm' }],
    devices: [
      { id: 'gw-1', type: 'gateway', site: 'vuon', installedAt: '2026-01-01' },
      { id: 'dat-1', type: 'soil-sensor', site: 'vuon', installedAt: '2026-01-01', behind: 'gw-1' },
    ],
    extra: targets
      ? {
          kpiTargets: [
            {
              id: 'k-farm',
              name: 'Dữ liệu',
              indicator: 'farm-completeness',
              params: {},
              target: 95,
              period: 'month',
            },
          ],
        }
      : {},
  });

beforeAll(async () => {
  await store.start();
  // One uplink every 30 min of March at hh:07 and hh:37, and one stray frame of April.
  const readings: Reading[] = [];
  for (let ts = MARCH.fromTs + 7 * 60_000; ts < MARCH.toTs; ts += H / 2)
    readings.push({ communeId: 'xa-thu', deviceId: 'dat-1', metric: 'heartbeat', ts, value: 1 });
  readings.push({
    communeId: 'xa-thu',
    deviceId: 'dat-1',
    metric: 'heartbeat',
    ts: MARCH.toTs + H,
    value: 1,
  });
  await store.write(readings);
  await store.rollup(MARCH.fromTs, MARCH.toTs + 2 * H);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('farm sensors’ uplinks for KPIs and reports', () => {
  it('reads nothing for a commune without a farm-completeness target', async () => {
    expect(farmSensors(commune(false))).toEqual([]);
    expect(await readFarmUplinks(store, commune(false), MARCH, MARCH.toTs, MARCH.fromTs)).toBeUndefined();
  });

  it('counts the same uplinks from raw readings, from rollups and from both: the evidence digest is one', async () => {
    const c = commune(true);
    const now = MARCH.toTs + 5 * H;
    const raw = await readFarmUplinks(store, c, MARCH, now, MARCH.fromTs);
    const rolled = await readFarmUplinks(store, c, MARCH, now, MARCH.toTs + 10 * H);
    const split = await readFarmUplinks(store, c, MARCH, now, MARCH.fromTs + 200 * H + 123);
    const u = raw!.get('dat-1')!;
    expect(u.ts).toHaveLength(2 * 24 * 31);
    expect(u.hourly).toEqual([]);
    expect(rolled!.get('dat-1')!.ts).toEqual([]);
    expect(uplinkDigestText(rolled!.get('dat-1')!)).toBe(uplinkDigestText(u));
    expect(uplinkDigestText(split!.get('dat-1')!)).toBe(uplinkDigestText(u));
    // The frame after the count instant is not in the figure's evidence.
    expect(uplinkDigestText(u)).not.toContain(String(MARCH.toTs + H));
  });

  it('an on-demand period off the hour gets its own uplinks when only rollups are left before it', async () => {
    const c = commune(true);
    const from = MARCH.fromTs + 48 * H + 20 * 60_000; // 3 March 00:20
    const to = MARCH.fromTs + 72 * H + 20 * 60_000;
    const window = { fromTs: MARCH.fromTs, toTs: MARCH.toTs };
    const read = await readFarmUplinks(store, c, window, MARCH.toTs, MARCH.toTs, [from, to]);
    const day = uplinksIn(read, { fromTs: from, toTs: to })!.get('dat-1')!;
    // 00:37 on the 3rd to 00:07 on the 4th: the hours cut by the edges come raw, the rest rolled up.
    expect(day.ts).toEqual([from + 17 * 60_000, to - 13 * 60_000]);
    expect(day.hourly!.reduce((n, [, k]) => n + k, 0)).toBe(46);
  });
});
