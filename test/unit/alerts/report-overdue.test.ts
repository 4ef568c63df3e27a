import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { overdueReports } from '../../../services/alerts/rule-kinds/report-overdue.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { ReportArchive } from '../../../services/reports/archive.ts';
import { ReportScheduler } from '../../../services/reports/schedule.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { openDb } from '../../../services/store/db.ts';
import { alertCommune, alertSetup } from './fixture.ts';

const vn = (s: string) => Date.parse(`${s}+07:00`);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const communeExtra = {
  kpi: { reports: [{ id: 'bc-thang', period: 'month', due: 'after-period', dueDay: 25, formats: ['csv'] }] },
};
const communeAlerts = {
  rules: [{ id: 'bao-cao-tre', kind: 'report-overdue', minutes: 120, roles: ['leader', 'technician'] }],
};

/** A commune monitored since 20 October, its monthly report due before the 25th of the next month. */
function rig(db: ReturnType<typeof openDb>, archive: ReportArchive, now: number) {
  return alertSetup({ db, now, reportArchive: archive, commune: communeExtra, communeAlerts });
}

describe('report-overdue alerts', () => {
  it('fires when the report is missing after the grace, turns critical on the due date, resolves when archived, never twice across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-report-overdue-'));
    dirs.push(dir);
    const dbFile = join(dir, 'canhxa.db');
    const archive = new ReportArchive(join(dir, 'reports'));
    let db = openDb(dbFile);
    let s = rig(db, archive, vn('2026-10-20T08:00:00'));
    const reportAlerts = () => s.engine.alerts.open().filter((a) => a.kind === 'report-overdue');

    // October's report runs at 01/11 00:00; within the 120 min grace nothing is told.
    s.advance(vn('2026-11-01T01:30:00') - s.now());
    expect(reportAlerts()).toEqual([]);
    s.advance(vn('2026-11-01T02:30:00') - s.now());
    const [a] = reportAlerts();
    expect(a).toMatchObject({ severity: 'warning', reason: 'report-missing', deviceId: 'report:bc-thang' });
    const fired = s.outbox().filter((r) => r.alertId === a!.id);
    // Told to the rule's roles (a leader in English, a technician in Vietnamese), not to the webhook.
    expect(fired.map((r) => [r.notifier, r.username, r.event]).sort()).toEqual([
      ['tg', 'camera.e', 'fire'],
      ['tg', 'kythuat.a', 'fire'],
      ['tg', 'lanhdao.b', 'fire'],
    ]);
    const vi = fired.find((r) => r.username === 'kythuat.a')!.text;
    expect(vi).toContain('báo cáo bc-thang chưa có');
    expect(vi).toContain('kỳ 01/10/2026 – 31/10/2026');
    expect(vi).toContain('Hạn nộp: trước ngày 25/11/2026');
    expect(vi).toContain('https://canhxa.example.vn/#/kpis');
    expect(fired.find((r) => r.username === 'lanhdao.b')!.text).toContain('Due: before 25/11/2026');

    // A restart: the same database, a new engine; nothing is opened or told again.
    const queued = s.outbox().length;
    s.alerting.engine.stop();
    db.close();
    db = openDb(dbFile);
    s = rig(db, archive, vn('2026-11-10T09:00:00'));
    s.advance(1000);
    expect(reportAlerts()).toHaveLength(1);
    expect(s.outbox()).toHaveLength(queued);

    // The due date comes: critical, told again once.
    s.advance(vn('2026-11-25T00:10:00') - s.now());
    s.advance(60_000);
    expect(reportAlerts()[0]).toMatchObject({ id: a!.id, severity: 'critical', reason: 'report-past-due' });
    const escalated = s.outbox().filter((r) => r.event === 'escalate');
    expect(escalated.map((r) => r.username).sort()).toEqual(['camera.e', 'kythuat.a', 'lanhdao.b']);
    expect(escalated[0]!.text).toMatch(/đã quá hạn ngày 25\/11\/2026|past its due date 25\/11\/2026/);

    // The report is made (the scheduler's catch-up, from the real read model): resolved at once, told to those told.
    const now = s.now();
    await new ReportScheduler({
      communes: [alertCommune(communeExtra, communeAlerts)],
      readModel: new SqliteReadModel({
        db,
        store: { queryRollup: () => Promise.reject(new Error('unused')) },
        clock: () => now,
      }),
      archive,
      clock: () => now,
      log: createLogger({ level: 'silent' }),
    }).catchUp();
    expect(archive.list(['xa-thu'])).toHaveLength(1);
    s.advance(1000);
    expect(reportAlerts()).toEqual([]);
    const resolved = s.outbox().filter((r) => r.event === 'resolve');
    expect(resolved.map((r) => r.username).sort()).toEqual(['camera.e', 'kythuat.a', 'lanhdao.b']);
    expect(resolved.find((r) => r.username === 'kythuat.a')!.text).toContain('Đã có trong kho báo cáo lúc');

    // Later ticks and another restart open nothing for the archived period.
    s.advance(3_600_000);
    s.alerting.engine.stop();
    db.close();
    db = openDb(dbFile);
    s = rig(db, archive, now + 7_200_000);
    s.advance(1000);
    expect(s.engine.alerts.history(10).filter((x) => x.kind === 'report-overdue')).toHaveLength(1);
    expect(reportAlerts()).toEqual([]);
    db.close();
  });

  it('opens nothing in the first minutes after a start, while the scheduler catches up the missed report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-report-overdue-'));
    dirs.push(dir);
    const db = openDb(join(dir, 'canhxa.db'));
    const s = rig(db, new ReportArchive(join(dir, 'reports')), vn('2026-10-20T08:00:00'));
    // The service's first look comes on 3 November, long past October's run and grace.
    s.advance(vn('2026-11-03T08:00:00') - s.now());
    s.advance(9 * 60_000);
    expect(s.engine.alerts.open()).toEqual([]);
    s.advance(2 * 60_000);
    expect(s.engine.alerts.open().map((a) => a.kind)).toEqual(['report-overdue']);
    db.close();
  });

  it('owes nothing for a run before the commune first had data, or before the grace', () => {
    const schedules = [
      { id: 'bc-thang', period: 'month', due: 'after-period', dueDay: 25, leadDays: 1, formats: ['csv'] },
    ] as const;
    const rule = {
      kind: 'report-overdue',
      id: 'r',
      minutes: 120,
      severity: 'warning',
      roles: ['leader'],
    } as const;
    const ctx = (firstDataTs: number | null, now: number) => ({
      now,
      schedules: schedules as never,
      archived: () => false,
      firstDataTs,
    });
    const now = vn('2026-11-03T08:00:00');
    expect(overdueReports(rule as never, ctx(null, now))).toEqual([]);
    // Monitored from 05/11 on: October's run (01/11) came before: not owed.
    expect(overdueReports(rule as never, ctx(vn('2026-11-02T00:00:00'), now))).toEqual([]);
    expect(overdueReports(rule as never, ctx(vn('2026-10-02T00:00:00'), vn('2026-11-01T01:00:00')))).toEqual(
      [],
    );
    expect(overdueReports(rule as never, ctx(vn('2026-10-02T00:00:00'), now))).toMatchObject([
      { scheduleId: 'bc-thang', severity: 'warning', dueDate: '2026-11-25' },
    ]);
  });
});
