import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../services/shared/errors.ts';
import type { Reading, RollupRow, Store } from '../../services/store/store.ts';

/**
 * The whole `Store` contract (services/store/store.ts). Every implementation passes it through a
 * file of a few lines. `makeStore` returns a store that is not started, over empty storage of its
 * own; the suite starts and closes it, then calls `cleanup`.
 */
export function storeConformance(
  name: string,
  makeStore: () => Promise<{ store: Store; cleanup(): Promise<void> }>,
): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      ({ store, cleanup } = await makeStore());
      await store.start();
    });

    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const T0 = Date.UTC(2025, 5, 1, 6, 0, 0);
    const all = { fromTs: T0 - 86_400_000, toTs: T0 + 86_400_000 };
    const r = (
      deviceId: string,
      metric: string,
      dt: number,
      value: number,
      communeId = 'xa-an-binh',
    ): Reading => ({
      communeId,
      deviceId,
      metric,
      ts: T0 + dt,
      value,
    });
    const ordered = (rs: readonly Reading[]): Reading[] =>
      [...rs].sort(
        (a, b) =>
          a.ts - b.ts ||
          (a.deviceId < b.deviceId ? -1 : a.deviceId > b.deviceId ? 1 : 0) ||
          (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0),
      );

    it('returns readings ordered by ts, then deviceId, then metric', async () => {
      const rows = [
        r('loa-02', 'latencyMs', 2000, 1),
        r('cam-01', 'latencyMs', 1000, 2),
        r('loa-02', 'heartbeat', 1000, 3),
        r('cam-01', 'heartbeat', 1000, 4),
        r('ap-09', 'clientCount', 1000, 5),
        r('ap-09', 'clientCount', 0, 6),
      ];
      await store.write(rows);
      expect(await store.query(all)).toEqual(ordered(rows));
    });

    it('keeps numbers exactly: fractions, negatives, zero and tiny values', async () => {
      const values = [0.1 + 0.2, -12.5, 0, 1e-7, 123_456_789.123, 42];
      const rows = values.map((v, i) => r('sensor-01', 'soilMoisturePct', i, v));
      await store.write(rows);
      expect((await store.query(all)).map((x) => x.value)).toEqual(values);
    });

    it('rewriting the same (commune, device, metric, ts) replaces the value and keeps one row', async () => {
      await store.write([r('cam-01', 'latencyMs', 0, 10), r('cam-01', 'latencyMs', 1, 11)]);
      await store.write([r('cam-01', 'latencyMs', 0, 99)]);
      await store.write([r('cam-01', 'latencyMs', 0, 99)]);
      expect(await store.query(all)).toEqual([
        r('cam-01', 'latencyMs', 0, 99),
        r('cam-01', 'latencyMs', 1, 11),
      ]);
    });

    it('the last of two readings with the same key in one batch wins', async () => {
      await store.write([r('cam-01', 'latencyMs', 0, 1), r('cam-01', 'latencyMs', 0, 2)]);
      expect(await store.query(all)).toEqual([r('cam-01', 'latencyMs', 0, 2)]);
    });

    it('an empty store, an empty range and an empty batch give empty answers', async () => {
      expect(await store.query(all)).toEqual([]);
      expect(await store.latest({})).toEqual([]);
      await store.write([]);
      await store.write([r('cam-01', 'heartbeat', 0, 1)]);
      expect(await store.query({ fromTs: T0 + 1, toTs: T0 + 60_000 })).toEqual([]);
      expect(await store.query({ fromTs: T0, toTs: T0 })).toEqual([]);
      expect(await store.query({ ...all, deviceId: 'no-such-device' })).toEqual([]);
      expect(await store.latest({ communeId: 'no-such-commune' })).toEqual([]);
    });

    it('filters by commune, device and metric', async () => {
      const rows = [
        r('cam-01', 'latencyMs', 0, 1),
        r('cam-01', 'heartbeat', 0, 2),
        r('loa-02', 'latencyMs', 0, 3),
        r('cam-01', 'latencyMs', 0, 4, 'xa-binh-minh'),
      ];
      await store.write(rows);
      expect(await store.query({ ...all, deviceId: 'cam-01', communeId: 'xa-an-binh' })).toEqual([
        rows[1],
        rows[0],
      ]);
      expect(await store.query({ ...all, metric: 'latencyMs', communeId: 'xa-an-binh' })).toEqual([
        rows[0],
        rows[2],
      ]);
      expect(await store.query({ ...all, communeId: 'xa-binh-minh' })).toEqual([rows[3]]);
      expect(await store.query({ ...all, deviceId: 'cam-01', metric: 'latencyMs' })).toHaveLength(2);
    });

    it('fromTs is inclusive and toTs exclusive', async () => {
      await store.write([0, 1, 2, 3].map((dt) => r('cam-01', 'latencyMs', dt, dt)));
      const got = await store.query({ fromTs: T0 + 1, toTs: T0 + 3 });
      expect(got.map((x) => x.ts)).toEqual([T0 + 1, T0 + 2]);
    });

    it('limit keeps the earliest rows in order, cutting inside a shared timestamp correctly', async () => {
      // Communes sort the other way round from devices, so a store that orders ties by anything
      // but (deviceId, metric) cuts in the wrong place.
      const rows = ['d', 'c', 'b', 'a'].flatMap((dev, i) => [
        r(`cam-${dev}`, 'latencyMs', 0, 1, `xa-${i}`),
        r(`cam-${dev}`, 'latencyMs', 5, 2, `xa-${i}`),
      ]);
      await store.write(rows);
      const want = ordered(rows);
      expect(await store.query({ ...all, limit: 3 })).toEqual(want.slice(0, 3));
      expect(await store.query({ ...all, limit: 6 })).toEqual(want.slice(0, 6));
      expect(await store.query({ ...all, limit: 8 })).toEqual(want);
      expect(await store.query({ ...all, limit: 100 })).toEqual(want);
    });

    it('latest gives the newest reading per device and metric', async () => {
      await store.write([
        r('cam-01', 'latencyMs', 0, 1),
        r('cam-01', 'latencyMs', 60_000, 2),
        r('cam-01', 'heartbeat', 30_000, 3),
        r('loa-02', 'latencyMs', 10_000, 4),
        r('loa-02', 'latencyMs', -10_000, 5),
      ]);
      expect(await store.latest({})).toEqual([
        r('cam-01', 'heartbeat', 30_000, 3),
        r('cam-01', 'latencyMs', 60_000, 2),
        r('loa-02', 'latencyMs', 10_000, 4),
      ]);
      expect(await store.latest({ deviceId: 'loa-02' })).toEqual([r('loa-02', 'latencyMs', 10_000, 4)]);
    });

    it('Vietnamese and unusual but valid ids and metric names survive intact', async () => {
      const odd = 'cam cổng "chợ", số=1 \'A\' a\\b ờ 🐃';
      const rows = [
        r('loa-chợ-đình', 'âmLượngPct', 0, 1, 'xã-tân-phước'),
        r(odd, 'latencyMs', 1, 2, 'xã-tân-phước'),
        r("it's-a-device", 'nhiệtĐộC', 2, 3, "xã 'quote'"),
      ];
      await store.write(rows);
      const got = await store.query(all);
      expect(got).toEqual(rows);
      for (const x of got) expect(x.deviceId).toBe(x.deviceId.normalize('NFC'));
      expect(await store.query({ ...all, deviceId: odd })).toEqual([rows[1]]);
      expect(await store.query({ ...all, communeId: "xã 'quote'", metric: 'nhiệtĐộC' })).toEqual([rows[2]]);
      expect(await store.latest({ communeId: 'xã-tân-phước', deviceId: odd })).toEqual([rows[1]]);
    });

    it('a batch of 5,000 readings round-trips', async () => {
      const rows: Reading[] = [];
      for (let i = 0; i < 1000; i++) {
        for (const dev of ['sensor-01', 'sensor-02', 'sensor-03', 'sensor-04', 'sensor-05']) {
          rows.push(r(dev, 'soilMoisturePct', i * 1000, Math.round(Math.sin(i) * 10_000) / 100 + 0));
        }
      }
      await store.write(rows);
      const got = await store.query({ ...all, limit: 10_000 });
      expect(got).toHaveLength(5000);
      expect(got).toEqual(ordered(rows));
    });

    it('an answer longer than 10,000 rows comes back whole when the limit allows it', async () => {
      const rows = Array.from({ length: 12_000 }, (_, i) =>
        r(`sensor-${i % 4}`, 'heartbeat', Math.floor(i / 4), i),
      );
      for (let i = 0; i < rows.length; i += 4000) await store.write(rows.slice(i, i + 4000));
      const got = await store.query({ ...all, limit: 20_000 });
      expect(got).toEqual(ordered(rows));
      expect(await store.query(all)).toHaveLength(10_000);
    });

    it('two communes are kept apart', async () => {
      const a = r('gw-01', 'uptimePct', 0, 1, 'xa-an-binh');
      const b = r('gw-01', 'uptimePct', 0, 2, 'xa-binh-minh');
      await store.write([a, b]);
      expect(await store.query({ ...all, communeId: 'xa-an-binh' })).toEqual([a]);
      expect(await store.query({ ...all, communeId: 'xa-binh-minh' })).toEqual([b]);
      expect(await store.query(all)).toHaveLength(2);
      expect(await store.latest({ communeId: 'xa-binh-minh' })).toEqual([b]);
      expect(await store.latest({})).toHaveLength(2);
    });

    // Rollups and pruning. T0 is a whole UTC hour.
    const MIN = 60_000;
    const HOUR = 3_600_000;
    const agg = (
      deviceId: string,
      metric: string,
      dt: number,
      [min, max, mean, count]: [number, number, number, number],
      communeId = 'xa-an-binh',
    ): RollupRow => ({ communeId, deviceId, metric, ts: T0 + dt, min, max, mean, count });

    it('rollup aggregates whole 1-minute and 1-hour buckets: min, max, mean, count per key', async () => {
      await store.write([
        r('cam-01', 'latencyMs', -1, 5), // the bucket before the range
        r('cam-01', 'latencyMs', 0, 10), // first instant of bucket T0
        r('cam-01', 'latencyMs', 30_000, 20),
        r('cam-01', 'latencyMs', MIN - 1, 30), // last instant of bucket T0
        r('cam-01', 'latencyMs', MIN, 40), // first instant of the next bucket
        r('cam-01', 'heartbeat', 90_000, 1),
        r('cam-01', 'latencyMs', 10_000, 7, 'xa-binh-minh'),
        r('cam-01', 'latencyMs', HOUR, 99), // the hour after the range
      ]);
      await store.rollup(T0, T0 + HOUR);
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual([
        agg('cam-01', 'latencyMs', 0, [10, 30, 20, 3]),
        agg('cam-01', 'latencyMs', 0, [7, 7, 7, 1], 'xa-binh-minh'),
        agg('cam-01', 'heartbeat', MIN, [1, 1, 1, 1]),
        agg('cam-01', 'latencyMs', MIN, [40, 40, 40, 1]),
      ]);
      expect(await store.queryRollup({ ...all, resolution: '1h' })).toEqual([
        agg('cam-01', 'heartbeat', 0, [1, 1, 1, 1]),
        agg('cam-01', 'latencyMs', 0, [10, 40, 25, 4]),
        agg('cam-01', 'latencyMs', 0, [7, 7, 7, 1], 'xa-binh-minh'),
      ]);
    });

    it('rollup skips buckets cut by either bound of the range', async () => {
      await store.write([0, 1, 2, 3].map((m) => r('cam-01', 'latencyMs', m * MIN + 45_000, m)));
      await store.rollup(T0 + 30_000, T0 + 3 * MIN + 10_000);
      // Only [T0+1m, T0+2m) and [T0+2m, T0+3m) lie wholly inside; no hour does.
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual([
        agg('cam-01', 'latencyMs', MIN, [1, 1, 1, 1]),
        agg('cam-01', 'latencyMs', 2 * MIN, [2, 2, 2, 1]),
      ]);
      expect(await store.queryRollup({ ...all, resolution: '1h' })).toEqual([]);
      await store.rollup(T0 + 1, T0 + HOUR - 1);
      expect(await store.queryRollup({ ...all, resolution: '1h' })).toEqual([]);
    });

    it('recomputing a bucket replaces it; running rollup again changes nothing', async () => {
      await store.write([r('cam-01', 'latencyMs', 0, 10), r('cam-01', 'latencyMs', 1000, 20)]);
      await store.rollup(T0, T0 + HOUR);
      await store.write([r('cam-01', 'latencyMs', 1000, 50), r('cam-01', 'latencyMs', 2000, 60)]);
      await store.rollup(T0, T0 + HOUR);
      await store.rollup(T0, T0 + HOUR);
      const want = [agg('cam-01', 'latencyMs', 0, [10, 60, 40, 3])];
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual(want);
      expect(await store.queryRollup({ ...all, resolution: '1h' })).toEqual(want);
    });

    it('queryRollup filters by commune, device and metric, keeps order, limit and [from, to)', async () => {
      const rows = [
        r('loa-02', 'latencyMs', 0, 1),
        r('cam-01', 'latencyMs', 0, 2),
        r('cam-01', 'heartbeat', MIN, 3),
        r('cam-01', 'latencyMs', 0, 4, 'xa-binh-minh'),
        r('ap-09', 'clientCount', 2 * MIN, 5),
      ];
      await store.write(rows);
      await store.rollup(T0, T0 + HOUR);
      const one = (x: Reading): RollupRow =>
        agg(x.deviceId, x.metric, x.ts - T0, [x.value, x.value, x.value, 1], x.communeId);
      const m = { ...all, resolution: '1m' as const };
      expect(await store.queryRollup(m)).toEqual(
        [rows[1], rows[3], rows[0], rows[2], rows[4]].map((x) => one(x!)),
      );
      expect(await store.queryRollup({ ...m, communeId: 'xa-binh-minh' })).toEqual([one(rows[3]!)]);
      expect(await store.queryRollup({ ...m, communeId: 'xa-an-binh', deviceId: 'cam-01' })).toEqual([
        one(rows[1]!),
        one(rows[2]!),
      ]);
      expect(await store.queryRollup({ ...m, metric: 'clientCount' })).toEqual([one(rows[4]!)]);
      expect(await store.queryRollup({ ...m, limit: 2 })).toEqual([one(rows[1]!), one(rows[3]!)]);
      expect(await store.queryRollup({ ...m, fromTs: T0 + MIN, toTs: T0 + 2 * MIN })).toEqual([
        one(rows[2]!),
      ]);
      expect(await store.queryRollup({ ...m, fromTs: T0, toTs: T0 })).toEqual([]);
    });

    it('an empty store, an empty range and a closed range give empty rollups', async () => {
      await store.rollup(T0, T0 + HOUR);
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual([]);
      await store.write([r('cam-01', 'latencyMs', 0, 1)]);
      await store.rollup(T0, T0);
      await store.rollup(T0 + HOUR, T0);
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual([]);
      expect(await store.queryRollup({ ...all, resolution: '1h' })).toEqual([]);
      await store.prune({
        communeId: 'no-such-commune',
        rawBeforeTs: T0,
        minuteBeforeTs: T0,
        hourBeforeTs: T0,
      });
    });

    it("prune deletes one commune's old raw readings and rollups and leaves the other commune intact", async () => {
      const rows = ['xa-an-binh', 'xa-binh-minh'].flatMap((c) =>
        [-2 * HOUR, -HOUR, 0].map((dt) => r('gw-01', 'uptimePct', dt, 100 + dt / HOUR, c)),
      );
      await store.write(rows);
      await store.rollup(T0 - 2 * HOUR, T0 + HOUR);
      const before = {
        m: await store.queryRollup({ ...all, resolution: '1m', communeId: 'xa-binh-minh' }),
        h: await store.queryRollup({ ...all, resolution: '1h', communeId: 'xa-binh-minh' }),
      };
      expect(before.m).toHaveLength(3);
      const counts = await store.prune({
        communeId: 'xa-an-binh',
        rawBeforeTs: T0,
        minuteBeforeTs: T0 - HOUR,
        hourBeforeTs: T0 - HOUR + 1,
      });
      if (counts !== undefined) expect(counts).toEqual({ raw: 2, minute: 1, hour: 2 });
      const a = { ...all, communeId: 'xa-an-binh' };
      expect(await store.query(a)).toEqual([rows[2]]);
      expect((await store.queryRollup({ ...a, resolution: '1m' })).map((x) => x.ts)).toEqual([T0 - HOUR, T0]);
      expect((await store.queryRollup({ ...a, resolution: '1h' })).map((x) => x.ts)).toEqual([T0]);
      const b = { ...all, communeId: 'xa-binh-minh' };
      expect(await store.query(b)).toEqual(rows.slice(3));
      expect(await store.queryRollup({ ...b, resolution: '1m' })).toEqual(before.m);
      expect(await store.queryRollup({ ...b, resolution: '1h' })).toEqual(before.h);
    });

    it('rollups survive raw pruning, and rolling up the pruned range again keeps them', async () => {
      await store.write([r('cam-01', 'latencyMs', 0, 10), r('cam-01', 'latencyMs', 30_000, 30)]);
      await store.rollup(T0, T0 + HOUR);
      const want = [agg('cam-01', 'latencyMs', 0, [10, 30, 20, 2])];
      const old = T0 - 10 * HOUR;
      await store.prune({
        communeId: 'xa-an-binh',
        rawBeforeTs: T0 + HOUR,
        minuteBeforeTs: old,
        hourBeforeTs: old,
      });
      expect(await store.query(all)).toEqual([]);
      await store.rollup(T0, T0 + HOUR);
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual(want);
      expect(await store.queryRollup({ ...all, resolution: '1h' })).toEqual(want);
    });

    it('Vietnamese and unusual ids survive rollup, queryRollup and prune', async () => {
      const odd = 'cam cổng "chợ", số=1 \'A\' a\\b ờ 🐃';
      await store.write([
        r(odd, 'nhiệtĐộC', 0, 1, "xã 'quote'"),
        r(odd, 'nhiệtĐộC', 1, 3, "xã 'quote'"),
        r('loa-chợ-đình', 'âmLượngPct', 0, 5, 'xã-tân-phước'),
      ]);
      await store.rollup(T0, T0 + HOUR);
      const mine = { ...all, resolution: '1h' as const, communeId: "xã 'quote'", deviceId: odd };
      expect(await store.queryRollup(mine)).toEqual([agg(odd, 'nhiệtĐộC', 0, [1, 3, 2, 2], "xã 'quote'")]);
      await store.prune({
        communeId: "xã 'quote'",
        rawBeforeTs: T0 + HOUR,
        minuteBeforeTs: T0,
        hourBeforeTs: T0 + 1,
      });
      expect(await store.queryRollup(mine)).toEqual([]);
      expect(await store.query({ ...all, communeId: "xã 'quote'" })).toEqual([]);
      expect(await store.queryRollup({ ...all, resolution: '1m' })).toEqual([
        agg(odd, 'nhiệtĐộC', 0, [1, 3, 2, 2], "xã 'quote'"),
        agg('loa-chợ-đình', 'âmLượngPct', 0, [5, 5, 5, 1], 'xã-tân-phước'),
      ]);
    });

    it('close is safe twice and a later write rejects with StoreError', async () => {
      await store.write([r('cam-01', 'heartbeat', 0, 1)]);
      await store.close();
      await store.close();
      await expect(store.write([r('cam-01', 'heartbeat', 1, 1)])).rejects.toBeInstanceOf(StoreError);
      await expect(store.rollup(T0, T0 + 3_600_000)).rejects.toBeInstanceOf(StoreError);
      const policy = { communeId: 'xa-an-binh', rawBeforeTs: T0, minuteBeforeTs: T0, hourBeforeTs: T0 };
      await expect(store.prune(policy)).rejects.toBeInstanceOf(StoreError);
    });
  });
}
