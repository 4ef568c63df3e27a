import type { Db } from '../store/db.ts';

/**
 * Remembers when the service was last known alive, so after a crash the gap between the last
 * "alive" mark and the restart is recorded as unknown rather than silently counted as up.
 */
export class ServiceRuns {
  private readonly db: Db;
  private runId = 0;

  constructor(db: Db) {
    this.db = db;
  }

  /** Starts a run; returns when the previous run was last alive (null on first start). */
  begin(now: number): { previousAliveTs: number | null } {
    const prev = this.db.prepare('SELECT alive_ts AS a, stopped_ts AS s FROM service_runs ORDER BY id DESC LIMIT 1').get() as
      | { a: number; s: number | null }
      | undefined;
    this.runId = Number(this.db.prepare('INSERT INTO service_runs (started_ts, alive_ts) VALUES (?, ?)').run(now, now).lastInsertRowid);
    return { previousAliveTs: prev ? (prev.s ?? prev.a) : null };
  }

  alive(now: number): void {
    this.db.prepare('UPDATE service_runs SET alive_ts = ? WHERE id = ?').run(now, this.runId);
  }

  end(now: number): void {
    this.db.prepare('UPDATE service_runs SET alive_ts = ?, stopped_ts = ? WHERE id = ?').run(now, now, this.runId);
  }
}
