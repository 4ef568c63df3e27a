import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import { periodContaining } from '../../../services/kpi/periods.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { reportFormats } from '../../../services/reports/formats/registry.ts';
import { computeReport, verifyFile } from '../../../services/reports/produce.ts';
import { SqliteTrendCache } from '../../../services/reports/trend-cache.ts';
import { openDb } from '../../../services/store/db.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const H = 3_600_000;
const MARCH = periodContaining('month', Date.parse('2026-03-15T12:00:00+07:00'));
const JAN = periodContaining('month', Date.parse('2026-01-15T12:00:00+07:00'));
const NOW = MARCH.toTs + 5 * H;
const META = { scheduleId: null, dueDate: null };
const dir = mkdtempSync(join(tmpdir(), 'cx-trend-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const commune = buildCommune({
  id: 'xa-thu',
  name: 'Xã Thử Nghiệm',
  hamlets: [{ id: 'ap-1', name: 'Ấp Phước Lộc' }],
  sites: [{ id: 'nvh-1', name: 'Nhà văn hóa', kind: 'cultural-house', hamlet: 'ap-1', uplink: 'net-1' }],
  devices: [
    { id: 'net-1', type: 'uplink', name: 'Đường truyền VNPT', site: 'nvh-1', installedAt: '2025-06-01' },
    { id: 'net-2', type: 'uplink', name: 'Đường truyền Viettel', site: 'nvh-1', installedAt: '2025-06-01' },
  ],
  extra: {
    kpiTargets: [
      {
        id: 'k-net',
        name: 'Đường truyền',
        indicator: 'uptime',
        params: { deviceType: 'uplink' },
        target: 99,
        period: 'month',
      },
    ],
  },
});

/** A fresh SQLite file with the lines' history: January down 10 h, March down 2 h. */
function setup(name: string) {
  const db = openDb(join(dir, name));
  const log = new IntervalLog(db);
  const moves: Array<[string, 'up' | 'down', number]> = [
    ['net-1', 'up', Date.parse('2025-11-01T00:00:00+07:00')],
    ['net-2', 'up', Date.parse('2025-11-01T00:00:00+07:00')],
    ['net-1', 'down', JAN.fromTs + 100 * H],
    ['net-1', 'up', JAN.fromTs + 110 * H],
    ['net-2', 'down', MARCH.fromTs + 50 * H],
    ['net-2', 'up', MARCH.fromTs + 52 * H],
  ];
  for (const [deviceId, state, ts] of moves)
    log.transition({
      deviceId,
      communeId: 'xa-thu',
      state,
      reason: 'heartbeat',
      params: {},
      ts,
      lastHeardTs: null,
    });
  const model = new SqliteReadModel({
    db,
    store: { queryRollup: () => Promise.reject(new Error('unused')) },
    clock: () => NOW,
  });
  return { db, model, cache: new SqliteTrendCache(db) };
}

const january = (doc: ReturnType<typeof computeReport>) =>
  doc.trend![0]!.points.find((p) => p.fromTs === JAN.fromTs)!.value;

describe('trend cache of closed months', () => {
  it('keeps every closed month of the trend, and a report from it is the uncached report', () => {
    const { db, model, cache } = setup('same.sqlite');
    const uncached = computeReport(commune, model, MARCH, NOW, META);
    const first = computeReport(commune, model, MARCH, NOW, META, { trendCache: cache });
    const second = computeReport(commune, model, MARCH, NOW, META, { trendCache: cache });
    // Twelve months, all closed at NOW (March ended 5 h before).
    expect(db.prepare('SELECT count(*) FROM kpi_month_cache').pluck().get()).toBe(12);
    expect(first.contentHash).toBe(uncached.contentHash);
    expect(second.contentHash).toBe(uncached.contentHash);
  });

  it('a report reads a cached month; verification counts it from the store and names the month', async () => {
    const { db, model, cache } = setup('poisoned.sqlite');
    computeReport(commune, model, MARCH, NOW, META, { trendCache: cache });
    // A wrong entry under the right key: only the cache can carry it into a report.
    db.prepare('UPDATE kpi_month_cache SET figures = ? WHERE month_from_ts = ?').run(
      '{"k-net":12.5}',
      JAN.fromTs,
    );
    const doc = computeReport(commune, model, MARCH, NOW, META, { trendCache: cache });
    expect(january(doc)).toBe(12.5);
    const bytes = await reportFormats.get('csv')!.render(doc, 'vi');
    const v = await verifyFile(bytes, 'csv', new Map([['xa-thu', commune]]), model);
    expect(v.same).toBe(false);
    expect(v.differences).toEqual([
      expect.objectContaining({ targetId: 'k-net', field: 'trend', inFile: '01/2026: 12.5' }),
    ]);
  });

  it('evidence replaced in a closed month changes its stamp: the month is counted again', () => {
    const { db, model, cache } = setup('late.sqlite');
    const before = computeReport(commune, model, MARCH, NOW, META, { trendCache: cache });
    // January's intervals of net-1 as a correction gives them: down 30 h, not 10 h (same row count).
    const rows = db
      .prepare("SELECT id FROM state_intervals WHERE device_id = 'net-1' ORDER BY start_ts")
      .pluck()
      .all() as number[];
    db.prepare('UPDATE state_intervals SET end_ts = ? WHERE id = ?').run(JAN.fromTs + 130 * H, rows[1]);
    db.prepare('DELETE FROM state_intervals WHERE id = ?').run(rows[2]);
    db.prepare(
      `INSERT INTO state_intervals (commune_id, device_id, state, reason, params, start_ts, end_ts)
       VALUES ('xa-thu', 'net-1', 'up', 'heartbeat', NULL, ?, NULL)`,
    ).run(JAN.fromTs + 130 * H);
    const after = computeReport(commune, model, MARCH, NOW, META, { trendCache: cache });
    const uncached = computeReport(commune, model, MARCH, NOW, META);
    expect(january(after)).not.toBe(january(before));
    expect(after.contentHash).toBe(uncached.contentHash);
  });
});
