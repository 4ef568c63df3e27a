import cron, { type ScheduledTask } from 'node-cron';
import type { CommuneFile } from '../../config/schema/commune.ts';
import type { ReportScheduleConfig } from '../../config/schema/kpi.ts';
import type { ReadModel } from '../read-model/read-model.ts';
import type { Logger } from '../shared/logger.ts';
import type { ArchivedReport, ReportArchive } from './archive.ts';
import { computeReport, produceReport } from './produce.ts';
import { latestRun } from './schedule-runs.ts';
import { type ReportSourceDeps, reportSources } from './sources.ts';

export const REPORT_TIMEZONE = 'Asia/Ho_Chi_Minh';

export { latestRun, type ScheduledRun } from './schedule-runs.ts';

/** node-cron expression (Asia/Ho_Chi_Minh) firing five minutes after each run's cut. */
export function cronOf(s: ReportScheduleConfig): string {
  const months = s.period === 'month' ? '*' : s.due === 'after-period' ? '1,4,7,10' : '3,6,9,12';
  const day = s.due === 'after-period' ? 1 : s.dueDay - s.leadDays;
  return `5 0 ${day} ${months} *`;
}

export interface ReportSchedulerDeps {
  readonly communes: readonly CommuneFile[];
  readonly readModel: Pick<ReadModel, 'spans'>;
  /**
   * The store (farm uplinks) and the trend cache (services/reports/sources.ts); without, farm
   * figures have no value and every trend month is counted each time.
   */
  readonly sources?: ReportSourceDeps;
  readonly archive: ReportArchive;
  readonly clock: () => number;
  readonly log: Logger;
  /**
   * Wait before catching up at start (default 60 s): gateways replay what they buffered while
   * the service was down, and the missed report should count it rather than be late-data at once.
   */
  readonly catchUpDelayMs?: number;
}

/**
 * Makes each commune's scheduled reports on node-cron in Asia/Ho_Chi_Minh, and at start the
 * latest one of each schedule that is not in the archive (missed while the service was down).
 * A run is idempotent: a schedule's period already archived is not made again.
 */
export class ReportScheduler {
  private tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private catchUpTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ReportSchedulerDeps) {}

  /** Schedules, then catches up after the delay. Resolves when the catch-up reports are archived. */
  async start(): Promise<ArchivedReport[]> {
    if (this.tasks.length > 0) return [];
    for (const c of this.deps.communes)
      for (const s of c.kpi?.reports ?? [])
        this.tasks.push(
          cron.schedule(cronOf(s), () => this.track(this.runDue(c, s)), {
            name: `report-${c.commune.id}-${s.id}`,
            timezone: REPORT_TIMEZONE,
            noOverlap: true,
          }),
        );
    const delay = this.deps.catchUpDelayMs ?? 60_000;
    return new Promise((resolve) => {
      this.catchUpTimer = setTimeout(() => resolve(this.track(this.catchUp())), delay);
      this.catchUpTimer.unref();
    });
  }

  async stop(): Promise<void> {
    clearTimeout(this.catchUpTimer);
    const tasks = this.tasks;
    this.tasks = [];
    await Promise.all(tasks.map((t) => t.destroy()));
    await Promise.allSettled([...this.running]);
  }

  /** Every schedule's latest due report that the archive lacks. */
  async catchUp(): Promise<ArchivedReport[]> {
    const out: ArchivedReport[] = [];
    for (const c of this.deps.communes)
      for (const s of c.kpi?.reports ?? []) out.push(...(await this.runDue(c, s)));
    return out;
  }

  private async runDue(c: CommuneFile, s: ReportScheduleConfig): Promise<ArchivedReport[]> {
    const now = this.deps.clock();
    const run = latestRun(s, now);
    const have = this.deps.archive
      .list([c.commune.id])
      .some((r) => r.scheduleId === s.id && r.fromTs === run.period.fromTs && r.toTs === run.period.toTs);
    if (have) return [];
    try {
      const doc = computeReport(
        c,
        this.deps.readModel,
        run.period,
        now,
        { scheduleId: s.id, dueDate: run.dueDate },
        this.deps.sources ? await reportSources(this.deps.sources, c, run.period, now) : {},
      );
      const cards = await produceReport(
        { archive: this.deps.archive, clock: this.deps.clock },
        doc,
        s.formats,
      );
      this.deps.log.info(
        { communeId: c.commune.id, schedule: s.id, files: cards.map((x) => x.file) },
        'report made',
      );
      return cards;
    } catch (err) {
      // A person must act: the report the province expects was not made.
      this.deps.log.error({ err, communeId: c.commune.id, schedule: s.id }, 'scheduled report failed');
      return [];
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }
}
