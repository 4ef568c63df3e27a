/**
 * A scheduled report (the commune file's `kpi.reports`) missing from the archive (issue #14 item
 * 1): production failed, a format failed, or the service was down past the run. Not about a device:
 * the engine's device sweep never satisfies it (`since` is null); services/alerts/report-alerts.ts
 * asks `overdue` on each tick and keeps one alert per schedule and period.
 *
 * Severity: the rule's `severity` (warning by default) once the report is still missing `minutes`
 * after the schedule's run time; critical from 00:00 (Vietnam) of the due date, since the plan's
 * wording is "before the 25th" (trước ngày 25): on the due day itself the report is already late.
 *
 * Only the latest run of each schedule is judged (the one the scheduler makes and catches up on),
 * and only if it comes after the commune's first state interval, which the availability engine
 * starts at its devices' commissioning (`awaiting-evidence` until heard): a commune with no
 * devices yet, or a run before the commune was commissioned, owes no report.
 */
import { z } from 'zod';
import { NOTIFY_ROLES } from '../../../config/schema/alert-rule-base.ts';
import { Id } from '../../../config/schema/common.ts';
import { localDate, localMidnight } from '../../kpi/periods.ts';
import { latestRun } from '../../reports/schedule-runs.ts';
import type { OverdueReport, ReportsContext, RuleKind } from './rule-kind.ts';

const schema = z.strictObject({
  kind: z.literal('report-overdue'),
  /** Stable: part of each alert's de-duplication key, so never rename it. */
  id: Id,
  /** Grace after the schedule's run time before a missing report is told. */
  minutes: z.number().min(0).max(10_080).default(120),
  /** Before the due date; once it has come the alert is critical. */
  severity: z.enum(['warning', 'info']).default('warning'),
  /** These schedule ids of `kpi.reports` only; every schedule when absent (checked at load). */
  schedules: z.array(Id).min(1).optional(),
  /** Who is told (no escalation chain: the report is the leaders' duty). */
  roles: z.array(z.enum(NOTIFY_ROLES)).min(1).default(['leader', 'admin']),
});
export type ReportOverdueRule = z.output<typeof schema>;

/** dd/mm/yyyy (Vietnam) of an instant. */
export function vnDate(ts: number): string {
  const d = localDate(ts);
  return `${String(d.day).padStart(2, '0')}/${String(d.month).padStart(2, '0')}/${d.year}`;
}

const isoToVn = (iso: string) => iso.split('-').reverse().join('/');
const dueStartTs = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return localMidnight(y, m, d);
};

export function overdueReports(rule: ReportOverdueRule, ctx: ReportsContext): OverdueReport[] {
  const out: OverdueReport[] = [];
  if (ctx.firstDataTs === null) return out;
  for (const s of ctx.schedules) {
    if (rule.schedules && !rule.schedules.includes(s.id)) continue;
    const run = latestRun(s, ctx.now);
    if (run.runTs < ctx.firstDataTs || ctx.now - run.runTs < rule.minutes * 60_000) continue;
    if (ctx.archived(s.id, run.period.fromTs, run.period.toTs)) continue;
    const pastDue = ctx.now >= dueStartTs(run.dueDate);
    out.push({
      scheduleId: s.id,
      fromTs: run.period.fromTs,
      toTs: run.period.toTs,
      runTs: run.runTs,
      dueDate: run.dueDate,
      severity: pastDue ? 'critical' : rule.severity,
      reason: pastDue ? 'report-past-due' : 'report-missing',
      params: {
        schedule: s.id,
        period: `${vnDate(run.period.fromTs)} – ${vnDate(run.period.toTs - 1)}`,
        dueDate: isoToVn(run.dueDate),
        fromTs: run.period.fromTs,
        toTs: run.period.toTs,
      },
    });
  }
  return out;
}

export const reportOverdue = {
  kind: 'report-overdue',
  label: { vi: 'Báo cáo định kỳ chưa được lập', en: 'Scheduled report overdue' },
  configSchema: schema,
  exampleConfig: {
    kind: 'report-overdue',
    id: 'bao-cao-tre',
    minutes: 120,
    severity: 'warning',
    roles: ['leader', 'admin'],
  },
  // Not about a device: report-alerts.ts judges it from the schedules and the archive.
  since: () => null,
  stillHolds: () => false,
  closedEpisode: () => false,
  roles: (rule) => rule.roles,
  overdue: overdueReports,
} satisfies RuleKind<ReportOverdueRule>;
