/**
 * Readings alert rules (issue #14 item 1) on a fake clock: the pure run finder, metric-threshold
 * over a stored metric and over a battery's days left, plot-dry against bounds the economics
 * office edited, and the engine opening a plot alert for the economics office only after N
 * minutes, then resolving it at the first reading back within bounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { plotMeanSeries, trailingRun } from '../../../services/alerts/rule-kinds/metric-episode.ts';
import { metricThreshold } from '../../../services/alerts/rule-kinds/metric-threshold.ts';
import { plotDry } from '../../../services/alerts/rule-kinds/plot-dry.ts';
import type { ReadingsContext } from '../../../services/alerts/rule-kinds/rule-kind.ts';
import { setThresholdOverride } from '../../../services/soil/thresholds.ts';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import type { Reading } from '../../../services/store/store.ts';
import { alertSetup, T0 } from './fixture.ts';

const MIN = 60_000;
const series = (values: number[], stepMs = 10 * MIN, end = T0) =>
  values.map((value, i) => ({ ts: end - (values.length - 1 - i) * stepMs, value }));

describe('trailingRun', () => {
  it('starts at the first reading of the run still out of bounds at the end', () => {
    const s = series([30, 18, 25, 19, 17, 16]);
    expect(trailingRun(s, (v) => v < 20)).toEqual({ sinceTs: s[3]!.ts, value: 16 });
  });
  it('finds nothing when the newest reading is back within bounds, or there is none', () => {
    expect(trailingRun(series([10, 10, 25]), (v) => v < 20)).toBeNull();
    expect(trailingRun([], (v) => v < 20)).toBeNull();
  });
  it('a plot judges the mean of its sensors’ latest readings at each reading', () => {
    const a = series([20, 20, 20], 20 * MIN).map((r) => ({
      ...r,
      communeId: 'x',
      deviceId: 'a',
      metric: 'm',
    }));
    const b = series([10, 30], 20 * MIN, T0 - 10 * MIN).map((r) => ({
      ...r,
      communeId: 'x',
      deviceId: 'b',
      metric: 'm',
    }));
    expect(plotMeanSeries([a, b]).map((r) => r.value)).toEqual([20, 15, 15, 25, 25]);
  });
});

function ctx(rows: Record<string, number[]>, plotBounds = { dry: 20, wet: 40 }, now = T0): ReadingsContext {
  return {
    communeId: 'xa-thu',
    now,
    devices: [{ id: 's1', type: 'soil-sensor', hamletId: 'ap-1', siteId: 'vuon' }],
    readings: async (deviceId, metric, fromTs, toTs) =>
      series(rows[metric] ?? [])
        .map((r) => ({ ...r, communeId: 'xa-thu', deviceId, metric }) as Reading)
        .filter((r) => r.ts >= fromTs && r.ts < toTs),
    plots: () => [
      {
        communeId: 'xa-thu',
        siteId: 'vuon',
        name: 'Vườn tiêu',
        dryBelowPct: plotBounds.dry,
        wetAbovePct: plotBounds.wet,
        sensorIds: ['s1'],
      },
    ],
  };
}

describe('metric-threshold', () => {
  const lossRule = metricThreshold.configSchema.parse({
    kind: 'metric-threshold',
    id: 'loss',
    minutes: 30,
    metric: 'lostUplinksPct',
    above: 20,
  });
  it('finds the uplink loss over its bound since the first reading of the run', async () => {
    const found = await metricThreshold.evaluate(lossRule, ctx({ lostUplinksPct: [5, 25, 3, 22, 30, 40] }));
    expect(found.get('s1')).toEqual({
      deviceId: 's1',
      sinceTs: T0 - 20 * MIN,
      reason: 'metric-above',
      params: { metric: 'lostUplinksPct', value: 40, bound: 20 },
    });
    expect((await metricThreshold.evaluate(lossRule, ctx({ lostUplinksPct: [40, 40, 10] }))).size).toBe(0);
  });
  it('judges a battery’s days left from its history', async () => {
    const rule = metricThreshold.configSchema.parse({
      kind: 'metric-threshold',
      id: 'pin',
      minutes: 0,
      metric: 'batteryDaysLeft',
      below: 7,
    });
    // 2 % lost per 10 min from 90 %: empty within hours.
    const falling = Array.from({ length: 40 }, (_, i) => 90 - i * 2);
    const found = (await metricThreshold.evaluate(rule, ctx({ batteryPct: falling }))).get('s1');
    expect(found?.reason).toBe('metric-below');
    expect(found!.params.value).toBeLessThan(7);
    const steady = Array.from({ length: 40 }, () => 80);
    expect((await metricThreshold.evaluate(rule, ctx({ batteryPct: steady }))).size).toBe(0);
  });
  it('refuses a rule with both bounds or none, naming the field', () => {
    const bad = metricThreshold.configSchema.safeParse({
      kind: 'metric-threshold',
      id: 'x',
      minutes: 1,
      metric: 'batteryPct',
    });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['above']);
  });
});

describe('plot-dry', () => {
  const rule = plotDry.configSchema.parse({ kind: 'plot-dry', id: 'kho', minutes: 60 });
  it('routes to the economics office by default', () => {
    expect(plotDry.roles(rule)).toEqual(['economics']);
  });
  it('follows the bounds in use: the same readings are dry under 20 % and not under 15 %', async () => {
    const moisture = { soilMoisturePct: [25, 19, 18, 17.5] };
    expect((await plotDry.evaluate(rule, ctx(moisture))).get('s1')).toMatchObject({
      sinceTs: T0 - 20 * MIN,
      reason: 'plot-dry',
      params: { plot: 'Vườn tiêu', moisturePct: 17.5, boundPct: 20 },
    });
    expect((await plotDry.evaluate(rule, ctx(moisture, { dry: 15, wet: 40 }))).size).toBe(0);
  });
});

describe('engine with a plot-dry rule, on a fake clock', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens after N minutes for economics only, and resolves at the first reading back within bounds', async () => {
    dir = mkdtempSync(join(tmpdir(), 'cx-alert-readings-'));
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    const t = alertSetup({
      store,
      commune: {
        crops: [{ id: 'ho-tieu', name: 'Hồ tiêu', dryBelowPct: 22, wetAbovePct: 45 }],
        plots: [{ site: 'farm-1', crop: 'ho-tieu' }],
        alerts: {
          rules: [{ id: 'vuon-kho', kind: 'plot-dry', minutes: 30 }],
          notify: [{ roles: ['technician', 'economics'] }, { roles: ['leader'] }],
        },
      },
    });
    const write = (ts: number, value: number) =>
      store.write([{ communeId: 'xa-thu', deviceId: 'soil-1', metric: 'soilMoisturePct', ts, value }]);
    const step = async (ms: number) => {
      t.advance(ms);
      await t.engine.refreshAndTick();
    };
    await write(t.now(), 30);
    await step(10 * MIN);
    await write(t.now(), 19.5);
    const dryFrom = t.now();
    await step(20 * MIN);
    await write(t.now(), 19);
    await step(0);
    expect(t.engine.alerts.open()).toHaveLength(0);
    await step(10 * MIN);
    const [a] = t.engine.alerts.open();
    expect(a).toMatchObject({
      ruleId: 'vuon-kho',
      kind: 'plot-dry',
      deviceId: 'soil-1',
      sinceTs: dryFrom,
      reason: 'plot-dry',
    });
    const fired = t.outbox().filter((m) => m.alertId === a!.id && m.notifier === 'tg');
    expect(fired.map((m) => [m.username, m.event])).toEqual([['kinhte.d', 'fire']]);
    expect(fired[0]!.text).toContain('Vườn thí điểm: độ ẩm đất 19 %, dưới ngưỡng quá khô 22 %');
    // The economics office lowers the bound: the plot is no longer dry, the alert resolves.
    setThresholdOverride(t.db, {
      communeId: 'xa-thu',
      siteId: 'farm-1',
      dryBelowPct: 18,
      wetAbovePct: null,
      setBy: 'kinhte.d',
      setTs: t.now(),
    });
    await step(MIN);
    expect(t.engine.alerts.open()).toHaveLength(0);
    const told = t.outbox().filter((m) => m.alertId === a!.id && m.notifier === 'tg');
    expect(told.map((m) => [m.username, m.event])).toEqual([
      ['kinhte.d', 'fire'],
      ['kinhte.d', 'resolve'],
    ]);
    // No escalation to the leader, however long: the rule's one step is the economics office.
    await write(t.now(), 10);
    await step(MIN);
    await step(4 * 60 * MIN);
    expect(t.outbox().some((m) => m.username === 'lanhdao.b')).toBe(false);
    await store.close();
  });
});
