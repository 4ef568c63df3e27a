/**
 * Retention: keeps the 1-minute and 1-hour rollups current and deletes what each commune no longer
 * keeps (GitHub requirement: raw telemetry N days, rollups longer, state intervals for ever; per
 * commune). Works through the Store seam only (`rollup`, `prune`), so state intervals, which live in
 * the relational tables, cannot be touched from here.
 *
 * Two schedules (node-cron v4):
 * - every minute at second 20: the last completed minutes, and when an hour has completed, the last
 *   hours. Buckets are rolled up only LAG_MS after their end, so readings still in an ingest batch
 *   land first; a rerun replaces a bucket, so looking back a little further catches stragglers.
 * - daily at 02:30 Asia/Ho_Chi_Minh (night, little traffic): recompute the last two days (gateways
 *   replaying their spool), roll up everything about to be pruned, then prune commune by commune.
 *   If that rollup fails nothing is pruned: raw readings are never deleted before their rollup.
 *
 * Prune bounds are whole UTC hours, so each key's raw readings always start on a bucket boundary
 * and no bucket is ever recomputed from a partly pruned hour.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { CommuneFile } from '../../config/schema/commune.ts';
import type { RetentionConfig } from '../../config/schema/service.ts';
import type { Logger } from '../shared/logger.ts';
import { BUCKET_MS, type PruneCounts, type PrunePolicy, type Store } from './store.ts';

export interface CommuneRetention {
  readonly id: string;
  /** Effective days: the commune file's override, else the service's `retention`. */
  readonly retention: RetentionConfig;
}

export interface RetentionJobDeps {
  readonly store: Pick<Store, 'rollup' | 'prune'>;
  readonly communes: readonly CommuneRetention[];
  readonly log: Logger;
  /** Epoch ms now. */
  readonly clock: () => number;
}

/** What one daily run did, per commune. `counts` is undefined when the store cannot count. */
export interface PruneOutcome {
  readonly policy: PrunePolicy;
  readonly ok: boolean;
  readonly counts?: PruneCounts;
}

const MINUTE = BUCKET_MS['1m'];
const HOUR = BUCKET_MS['1h'];
const DAY = 86_400_000;
/** A bucket is rolled up this long after its end: ingest batches, device clocks a little behind. */
export const LAG_MS = 2 * MINUTE;
const MINUTE_LOOKBACK_MS = 10 * MINUTE;
const HOUR_LOOKBACK_MS = 2 * HOUR;
const DAILY_RECOMPUTE_MS = 2 * DAY;
/** JavaScript's earliest Date: "everything before the cutoff" (stores clamp it to their own range). */
const EARLIEST_TS = -8.64e15;

export const ROLLUP_SCHEDULE = '20 * * * * *';
export const PRUNE_SCHEDULE = '30 2 * * *';
export const PRUNE_TIMEZONE = 'Asia/Ho_Chi_Minh';

const floorTo = (ts: number, size: number): number => Math.floor(ts / size) * size;

/** Each commune with its effective retention: its own file's keys over the service's. */
export function communeRetentions(
  service: { readonly retention: RetentionConfig },
  communes: readonly CommuneFile[],
): CommuneRetention[] {
  return communes.map((c) => ({
    id: c.commune.id,
    retention: {
      rawDays: c.retention?.rawDays ?? service.retention.rawDays,
      minuteDays: c.retention?.minuteDays ?? service.retention.minuteDays,
      hourDays: c.retention?.hourDays ?? service.retention.hourDays,
    },
  }));
}

/** The prune bounds for one commune at `now`, each a whole UTC hour. */
export function prunePolicy(c: CommuneRetention, now: number): PrunePolicy {
  const before = (days: number): number => floorTo(now - days * DAY, HOUR);
  return {
    communeId: c.id,
    rawBeforeTs: before(c.retention.rawDays),
    minuteBeforeTs: before(c.retention.minuteDays),
    hourBeforeTs: before(c.retention.hourDays),
  };
}

export class RetentionJob {
  private readonly deps: RetentionJobDeps;
  private readonly log: Logger;
  private tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<void>>();
  /** Earliest reading time stored since the last minutely run (Infinity: none). */
  private storedFromTs = Number.POSITIVE_INFINITY;
  /** End of the last hour window rolled up; a new value means an hour has completed. */
  private lastHourEnd: number | undefined;

  constructor(deps: RetentionJobDeps) {
    this.deps = deps;
    this.log = deps.log.child({ mod: 'store.retention' });
  }

  start(): void {
    if (this.tasks.length > 0) return;
    const every = (
      schedule: string,
      name: string,
      run: (now: number) => Promise<unknown>,
      timezone?: string,
    ) =>
      cron.schedule(schedule, () => this.track(run(this.deps.clock()), name), {
        name,
        noOverlap: true,
        ...(timezone === undefined ? {} : { timezone }),
      });
    this.tasks = [
      every(ROLLUP_SCHEDULE, 'retention-rollup', (now) => this.rollupRecent(now)),
      every(PRUNE_SCHEDULE, 'retention-prune', (now) => this.daily(now), PRUNE_TIMEZONE),
    ];
    this.log.info({ communes: this.deps.communes.length }, 'retention scheduled');
  }

  /** Next scheduled runs, for the operations page and tests; null when stopped. */
  nextRuns(): { rollup: Date | null; prune: Date | null } {
    const [rollup, prune] = this.tasks;
    return { rollup: rollup?.getNextRun() ?? null, prune: prune?.getNextRun() ?? null };
  }

  /**
   * Ingest tells the earliest reading time of each batch it stored. Readings older than the
   * minutely run's lookback (a gateway replaying hours it buffered, a backfill) are rolled up at
   * the next run from their hour on; without this their hours would stay empty in the charts (which
   * read rollups) until the daily recompute, or for ever past its two days.
   */
  noteStored(minTs: number): void {
    if (minTs < this.storedFromTs) this.storedFromTs = minTs;
  }

  /** Cancels the schedules and waits for a run in progress, so the store can be closed after. */
  async stop(): Promise<void> {
    const tasks = this.tasks;
    this.tasks = [];
    await Promise.all(tasks.map((t) => t.destroy()));
    await Promise.allSettled([...this.running]);
  }

  /** One minute's work and one day's, at `now`; what the schedules do, for tests and manual runs. */
  async runOnce(now = this.deps.clock()): Promise<PruneOutcome[]> {
    await this.rollupRecent(now);
    return this.daily(now);
  }

  /**
   * The minutely run: the last completed minutes and, once per completed hour, the last hours.
   * Resolves false when the store refused (logged; the next minute tries again).
   */
  async rollupRecent(now: number): Promise<boolean> {
    const minuteEnd = floorTo(now - LAG_MS, MINUTE);
    const hourEnd = floorTo(now - LAG_MS, HOUR);
    const late = this.storedFromTs;
    this.storedFromTs = Number.POSITIVE_INFINITY;
    // Live readings fall inside the lookback; only older ones widen the run (from their hour on).
    const lookback = minuteEnd - MINUTE_LOOKBACK_MS;
    const from = late < lookback ? floorTo(late, HOUR) : lookback;
    if (!(await this.rollup(from, minuteEnd))) {
      this.noteStored(late);
      return false;
    }
    if (hourEnd === this.lastHourEnd) return true;
    if (!(await this.rollup(hourEnd - HOUR_LOOKBACK_MS, hourEnd))) return false;
    this.lastHourEnd = hourEnd;
    return true;
  }

  /**
   * The daily run: recompute the last two days, roll up everything older than the latest raw
   * bound (readings never rolled up, e.g. after downtime), then prune each commune. A failed
   * rollup stops the run before any deletion.
   */
  async daily(now: number): Promise<PruneOutcome[]> {
    const policies = this.deps.communes.map((c) => prunePolicy(c, now));
    const recentEnd = floorTo(now - LAG_MS, HOUR);
    const latestRawBound = Math.max(...policies.map((p) => p.rawBeforeTs));
    if (!(await this.rollup(recentEnd - DAILY_RECOMPUTE_MS, recentEnd))) return this.skipped(policies);
    if (policies.length > 0 && !(await this.rollup(EARLIEST_TS, latestRawBound))) {
      return this.skipped(policies);
    }
    const outcomes: PruneOutcome[] = [];
    // One commune at a time: a prune is a large delete, and one failure must not stop the others.
    for (const policy of policies) {
      try {
        const counts = await this.deps.store.prune(policy);
        this.log.info({ ...policy, ...(counts && { deleted: counts }) }, 'retention pruned');
        outcomes.push(counts === undefined ? { policy, ok: true } : { policy, ok: true, counts });
      } catch (err) {
        this.log.error({ err, ...policy }, 'retention prune failed');
        outcomes.push({ policy, ok: false });
      }
    }
    return outcomes;
  }

  private async rollup(fromTs: number, toTs: number): Promise<boolean> {
    try {
      await this.deps.store.rollup(fromTs, toTs);
      this.log.debug({ fromTs, toTs }, 'rolled up');
      return true;
    } catch (err) {
      this.log.warn({ err, fromTs, toTs }, 'rollup failed');
      return false;
    }
  }

  private skipped(policies: readonly PrunePolicy[]): PruneOutcome[] {
    // Pruning now could delete readings whose rollups were never written.
    this.log.error({ communes: policies.map((p) => p.communeId) }, 'retention prune skipped: rollup failed');
    return policies.map((policy) => ({ policy, ok: false }));
  }

  /** Runs never reject: store failures are handled inside; anything else is a bug, logged here. */
  private track(run: Promise<unknown>, name: string): Promise<void> {
    const p = run.then(
      () => undefined,
      (err: unknown) => this.log.error({ err, task: name }, 'retention run failed'),
    );
    this.running.add(p);
    return p.finally(() => this.running.delete(p));
  }
}
