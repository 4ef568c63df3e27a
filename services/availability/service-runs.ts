import type { Db } from '../store/db.ts';

/**
 * Remembers when the service was last known alive, so after a crash the gap between the last
 * "alive" mark and the restart is recorded as unknown rather than silently counted as up.
 *
 * A run has a scope: '' for the whole service (one process), or a commune id when ingest workers
 * share the communes (external broker mode). A worker taking over a commune then learns when that
 * commune's previous holder was last alive, not when some other commune's was.
 */
export class ServiceRuns {
  private readonly db: Db;
  private readonly scope: string;
  private runId = 0;

  constructor(db: Db, scope = '') {
    this.db = db;
    this.scope = scope;
  }

  /** Starts a run; returns when the previous run was last alive (null on first start). */
  begin(now: number): { previousAliveTs: number | null } {
    // A commune's previous run may also be a whole-service run (before the switch to workers).
    const prev = (
      this.scope === ''
        ? this.db
            .prepare('SELECT alive_ts AS a, stopped_ts AS s FROM service_runs ORDER BY id DESC LIMIT 1')
            .get()
        : this.db
            .prepare(
              "SELECT alive_ts AS a, stopped_ts AS s FROM service_runs WHERE scope IN (?, '') ORDER BY id DESC LIMIT 1",
            )
            .get(this.scope)
    ) as { a: number; s: number | null } | undefined;
    this.runId = Number(
      this.db
        .prepare('INSERT INTO service_runs (started_ts, alive_ts, scope) VALUES (?, ?, ?)')
        .run(now, now, this.scope).lastInsertRowid,
    );
    return { previousAliveTs: prev ? (prev.s ?? prev.a) : null };
  }

  alive(now: number): void {
    this.db.prepare('UPDATE service_runs SET alive_ts = ? WHERE id = ?').run(now, this.runId);
  }

  end(now: number): void {
    this.db
      .prepare('UPDATE service_runs SET alive_ts = ?, stopped_ts = ? WHERE id = ?')
      .run(now, now, this.runId);
  }
}
