/**
 * When a scheduled report is made and due (pure): apart from schedule.ts, which runs node-cron and
 * produces reports, so the report-overdue alert rule can judge a schedule without importing them.
 */
import type { ReportScheduleConfig } from '../../config/schema/kpi.ts';
import { localDate, localMidnight, periodContaining, previousPeriod } from '../kpi/periods.ts';
import type { Period } from '../read-model/read-model.ts';

/** One scheduled report: the period it covers, when it is made (= the period's cut), its due date. */
export interface ScheduledRun {
  readonly period: Period;
  readonly runTs: number;
  /** ISO date (Vietnam). */
  readonly dueDate: string;
}

const iso = (ts: number) => {
  const d = localDate(ts);
  return `${d.year}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
};

/** The run of a schedule for the period containing `ts` (its run may lie after `ts`). */
function runFor(s: ReportScheduleConfig, ts: number): ScheduledRun {
  const p = periodContaining(s.period, ts);
  if (s.due === 'after-period') {
    const next = localDate(p.toTs);
    return { period: p, runTs: p.toTs, dueDate: iso(localMidnight(next.year, next.month, s.dueDay)) };
  }
  // in-period: cut at local midnight leadDays before the due day of the period's last month.
  const last = localDate(p.toTs - 1);
  const cut = localMidnight(last.year, last.month, s.dueDay - s.leadDays);
  return {
    period: { fromTs: p.fromTs, toTs: cut },
    runTs: cut,
    dueDate: iso(localMidnight(last.year, last.month, s.dueDay)),
  };
}

/** The latest run of the schedule whose time has come at `nowTs`. */
export function latestRun(s: ReportScheduleConfig, nowTs: number): ScheduledRun {
  const here = runFor(s, s.due === 'after-period' ? previousPeriod(s.period, nowTs).fromTs : nowTs);
  return here.runTs <= nowTs ? here : runFor(s, previousPeriod(s.period, nowTs).fromTs);
}
