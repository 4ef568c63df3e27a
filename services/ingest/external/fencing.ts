import { IntervalLog } from '../../availability/interval-log.ts';
import { ServiceRuns } from '../../availability/service-runs.ts';
import type { Db } from '../../store/db.ts';

/**
 * Runs `write` in an IMMEDIATE transaction that first checks the shard's lease is still ours.
 * Taking a lease is a write too, so SQLite's write lock puts every take either before the check
 * or after the write, never between. Returns false (nothing written) once the lease moved on.
 */
function fenced(db: Db, holds: () => boolean, write: () => void): boolean {
  return db
    .transaction(() => {
      if (!holds()) return false;
      write();
      return true;
    })
    .immediate();
}

export interface Fence {
  readonly db: Db;
  /** True while the lease table names this worker as the shard's owner. */
  readonly holds: () => boolean;
  /** Called once, on the first refused write: let the shard go without a release. */
  readonly onFenced: () => void;
}

/**
 * A shard's interval log, fenced by its lease: a worker that stalled past its lease (paused,
 * swapped out) and wakes up cannot write one interval over the new holder's.
 */
export class FencedIntervalLog extends IntervalLog {
  private readonly fence: Fence;
  private refused = false;

  constructor(fence: Fence) {
    super(fence.db);
    this.fence = fence;
  }

  override transition(row: Parameters<IntervalLog['transition']>[0]): void {
    this.guard(() => super.transition(row));
  }

  override recordHeard(rows: Parameters<IntervalLog['recordHeard']>[0]): void {
    this.guard(() => super.recordHeard(rows));
  }

  private guard(write: () => void): void {
    if (this.refused) return;
    if (fenced(this.fence.db, this.fence.holds, write)) return;
    this.refused = true;
    this.fence.onFenced();
  }
}

/**
 * A shard's service runs, fenced the same way: after a takeover the old holder must not move its
 * alive mark past the moment it lost the lease, or the next takeover would date the gap wrongly.
 */
export class FencedServiceRuns extends ServiceRuns {
  private readonly fence: Fence;

  constructor(fence: Fence, scope: string) {
    super(fence.db, scope);
    this.fence = fence;
  }

  override alive(now: number): void {
    fenced(this.fence.db, this.fence.holds, () => super.alive(now));
  }

  override end(now: number): void {
    fenced(this.fence.db, this.fence.holds, () => super.end(now));
  }
}
