import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import cron from 'node-cron';
import { afterAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { ReportArchive } from '../../../services/reports/archive.ts';
import { cronOf, latestRun, ReportScheduler } from '../../../services/reports/schedule.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { openDb } from '../../../services/store/db.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const vn = (s: string) => Date.parse(`${s}+07:00`);
const monthly = {
  id: 'bc-thang',
  period: 'month' as const,
  due: 'after-period' as const,
  dueDay: 25,
  leadDays: 1,
  formats: ['csv' as const],
};
const quarterly = {
  id: 'bc-quy',
  period: 'quarter' as const,
  due: 'in-period' as const,
  dueDay: 15,
  leadDays: 1,
  formats: ['csv' as const],
};
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('report schedules', () => {
  it('monthly after the period: the whole previous month, due on the 25th of the next', () => {
    expect(latestRun(monthly, vn('2026-04-10T09:00:00'))).toEqual({
      period: { fromTs: vn('2026-03-01T00:00:00'), toTs: vn('2026-04-01T00:00:00') },
      runTs: vn('2026-04-01T00:00:00'),
      dueDate: '2026-04-25',
    });
    // One second before local midnight of 1 April the March report is not due yet.
    expect(latestRun(monthly, vn('2026-03-31T23:59:59')).period.fromTs).toBe(vn('2026-02-01T00:00:00'));
    expect(latestRun(monthly, vn('2027-01-01T00:00:00')).dueDate).toBe('2027-01-25');
  });

  it('quarterly in the period: the quarter so far, cut the day before the 15th of its last month', () => {
    expect(latestRun(quarterly, vn('2026-03-20T08:00:00'))).toEqual({
      period: { fromTs: vn('2026-01-01T00:00:00'), toTs: vn('2026-03-14T00:00:00') },
      runTs: vn('2026-03-14T00:00:00'),
      dueDate: '2026-03-15',
    });
    expect(latestRun(quarterly, vn('2026-02-01T00:00:00')).period).toEqual({
      fromTs: vn('2025-10-01T00:00:00'),
      toTs: vn('2025-12-14T00:00:00'),
    });
  });

  it('fires on node-cron just after each cut', () => {
    expect(cronOf(monthly)).toBe('5 0 1 * *');
    expect(cronOf(quarterly)).toBe('5 0 14 3,6,9,12 *');
    for (const s of [monthly, quarterly]) expect(cron.validate(cronOf(s))).toBe(true);
  });

  it('makes at start the report missed while the service was down, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-schedule-'));
    dirs.push(dir);
    const db = openDb(join(dir, 'canhxa.sqlite'));
    new IntervalLog(db).transition({
      deviceId: 'loa-1',
      communeId: 'xa-thu',
      state: 'up',
      reason: 'heartbeat',
      params: {},
      ts: vn('2026-02-20T00:00:00'),
      lastHeardTs: null,
    });
    const commune = buildCommune({
      devices: [{ id: 'loa-1', type: 'loudspeaker' }],
      extra: {
        kpi: { reports: [monthly] },
        kpiTargets: [
          {
            id: 'k',
            name: 'Loa',
            indicator: 'uptime',
            params: { deviceType: 'loudspeaker' },
            target: 95,
            period: 'month',
          },
        ],
      },
    });
    const now = vn('2026-04-03T10:00:00');
    const archive = new ReportArchive(join(dir, 'reports'));
    const deps = {
      communes: [commune],
      readModel: new SqliteReadModel({
        db,
        store: { queryRollup: () => Promise.reject(new Error('unused')) },
        clock: () => now,
      }),
      archive,
      clock: () => now,
      log: createLogger({ level: 'silent' }),
      catchUpDelayMs: 0,
    };
    const scheduler = new ReportScheduler(deps);
    try {
      const made = await scheduler.start();
      expect(made.map((m) => [m.format, m.scheduleId, m.dueDate, m.periodLabel])).toEqual([
        ['csv', 'bc-thang', '2026-04-25', '03/2026'],
      ]);
      // A second start (a restart) finds it archived and makes nothing.
      await scheduler.stop();
      expect(await new ReportScheduler(deps).catchUp()).toEqual([]);
      expect(archive.list(['xa-thu'])).toHaveLength(1);
    } finally {
      await scheduler.stop();
      db.close();
    }
  });
});
