import type { Db } from '../../store/db.ts';

/** What one lease round decided. Takes are already ours in the table; releases are proposals. */
export interface LeasePlan {
  /** Shards this worker now holds and must start. */
  readonly take: readonly string[];
  /** Shards someone else took from us (our lease lapsed): stop touching them at once. */
  readonly lost: readonly string[];
  /** Surplus to give back for balance: stop the shard cleanly, then call release(). */
  readonly release: readonly string[];
  /** Workers seen alive, this one included. */
  readonly liveWorkers: number;
}

export interface ShardLeasesOptions {
  readonly db: Db;
  readonly workerId: string;
  readonly host: string;
  readonly pid: number;
  /** Every shard (commune id) there is. */
  readonly shards: readonly string[];
  readonly ttlMs: number;
  readonly clock: () => number;
}

/**
 * Leases on shards (one per commune) in the shared SQLite file, so each commune is ingested by
 * exactly one worker at a time. A lease is renewed every round (ttl/3); a lapsed lease may be
 * taken by another worker, which then also takes over the broker session of that shard. Every
 * change runs in one IMMEDIATE transaction, so SQLite's write lock orders all workers' rounds.
 *
 * Balance: a worker holds at most ceil(shards / live workers) (workers announce themselves in
 * ingest_workers), takes free shards up to that share and gives back one surplus shard a round.
 * A shard left free for a whole ttl is taken by anyone, over share or not, so no commune stays
 * unheld because a worker announced itself and then did nothing.
 *
 * All workers must read one clock: they share one host (one data folder). A province on several
 * hosts keeps these tables in its shared database and needs a clock-skew margin on the ttl.
 */
export class ShardLeases {
  private readonly o: ShardLeasesOptions;

  constructor(opts: ShardLeasesOptions) {
    this.o = opts;
  }

  /** Announces this worker; shards never leased become free from now (so peers starting too get a share). */
  join(): void {
    const now = this.o.clock();
    this.o.db
      .transaction(() => {
        this.o.db
          .prepare(
            `INSERT INTO ingest_workers (worker_id, host, pid, started_ts, alive_ts) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (worker_id) DO UPDATE SET alive_ts = excluded.alive_ts`,
          )
          .run(this.o.workerId, this.o.host, this.o.pid, now, now);
        const free = this.o.db.prepare(
          "INSERT OR IGNORE INTO shard_leases (commune_id, owner, expires_ts) VALUES (?, '', ?)",
        );
        for (const s of this.o.shards) free.run(s, now);
      })
      .immediate();
  }

  /** One round: renew what we hold, notice what we lost, take our share, propose surplus. */
  tick(held: ReadonlySet<string>): LeasePlan {
    const { db, workerId, ttlMs, shards } = this.o;
    return db
      .transaction((): LeasePlan => {
        const now = this.o.clock();
        db.prepare('UPDATE ingest_workers SET alive_ts = ? WHERE worker_id = ?').run(now, workerId);
        // A worker silent for a long time is gone; its row only skews nothing (alive_ts is old) but grows the table.
        db.prepare('DELETE FROM ingest_workers WHERE alive_ts < ?').run(now - 100 * ttlMs);
        const renew = db.prepare('UPDATE shard_leases SET expires_ts = ? WHERE commune_id = ? AND owner = ?');
        const lost: string[] = [];
        const kept: string[] = [];
        for (const s of held) {
          if (renew.run(now + ttlMs, s, workerId).changes === 1) kept.push(s);
          else {
            lost.push(s);
            this.log(now, s, 'lost');
          }
        }
        const others = db
          .prepare('SELECT COUNT(*) FROM ingest_workers WHERE alive_ts > ? AND worker_id != ?')
          .pluck()
          .get(now - ttlMs, workerId) as number;
        const liveWorkers = others + 1;
        const share = Math.ceil(shards.length / liveWorkers);
        const take: string[] = [];
        const rows = db
          .prepare('SELECT commune_id AS s, owner, expires_ts AS e FROM shard_leases ORDER BY commune_id')
          .all() as Array<{ s: string; owner: string; e: number }>;
        const known = new Set(shards);
        for (const r of rows) {
          if (!known.has(r.s) || held.has(r.s) || r.e > now) continue;
          const longFree = r.e <= now - ttlMs;
          if (kept.length + take.length >= share && !longFree) continue;
          const got = db
            .prepare(
              'UPDATE shard_leases SET owner = ?, expires_ts = ? WHERE commune_id = ? AND expires_ts <= ?',
            )
            .run(workerId, now + ttlMs, r.s, now).changes;
          if (got !== 1) continue;
          take.push(r.s);
          this.log(now, r.s, 'take', r.owner || null, r.e);
        }
        const release = kept.length + take.length > share && kept.length > 0 ? [kept.sort().at(-1)!] : [];
        return { take, lost, release, liveWorkers };
      })
      .immediate();
  }

  /** Gives a shard back after it was stopped cleanly: free at once for a worker below its share. */
  release(shard: string): void {
    const now = this.o.clock();
    this.o.db
      .transaction(() => {
        const n = this.o.db
          .prepare("UPDATE shard_leases SET owner = '', expires_ts = ? WHERE commune_id = ? AND owner = ?")
          .run(now, shard, this.o.workerId).changes;
        if (n === 1) this.log(now, shard, 'release');
      })
      .immediate();
  }

  /** Leaves the cluster (after releasing every shard). */
  leave(): void {
    this.o.db.prepare('DELETE FROM ingest_workers WHERE worker_id = ?').run(this.o.workerId);
  }

  /** Fencing: true while the table still names this worker as the shard's owner. */
  holds(shard: string): boolean {
    const owner = this.o.db.prepare('SELECT owner FROM shard_leases WHERE commune_id = ?').pluck().get(shard);
    return owner === this.o.workerId;
  }

  private log(
    ts: number,
    shard: string,
    event: 'take' | 'release' | 'lost',
    previousOwner: string | null = null,
    previousExpiresTs: number | null = null,
  ): void {
    this.o.db
      .prepare(
        'INSERT INTO shard_lease_log (ts, commune_id, owner, event, previous_owner, previous_expires_ts) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(ts, shard, this.o.workerId, event, previousOwner, previousExpiresTs);
  }
}
