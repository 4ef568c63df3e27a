import type { Db } from '../store/db.ts';

/**
 * Moisture bounds the economics office set for a plot from the dashboard, over the commune file's
 * (the plot's own, else its crop's). Kept in SQLite, so they survive a restart and every process
 * sharing the data folder (API, ingest workers, the alert engine) reads the same; read at each
 * use, never cached, for the same reason. Taking the override off falls back to the file.
 */
export interface ThresholdOverride {
  readonly communeId: string;
  readonly siteId: string;
  readonly dryBelowPct: number;
  /** Null: no too-wet bound for this plot. */
  readonly wetAbovePct: number | null;
  readonly setBy: string;
  readonly setTs: number;
}

/**
 * Its own CREATE IF NOT EXISTS, not a numbered migration in store/db.ts: the table stands alone,
 * and several branches appending migrations at once would collide on their numbers.
 */
const SCHEMA = `CREATE TABLE IF NOT EXISTS soil_plot_thresholds (
  commune_id TEXT NOT NULL, site_id TEXT NOT NULL,
  dry_below_pct REAL NOT NULL, wet_above_pct REAL,
  set_by TEXT NOT NULL, set_ts INTEGER NOT NULL,
  PRIMARY KEY (commune_id, site_id))`;

const ready = new WeakSet<Db>();
function table(db: Db): Db {
  if (!ready.has(db)) {
    db.exec(SCHEMA);
    ready.add(db);
  }
  return db;
}

export const plotKey = (communeId: string, siteId: string): string => `${communeId}/${siteId}`;

/** Every override, by plotKey. */
export function thresholdOverrides(db: Db): Map<string, ThresholdOverride> {
  const rows = table(db)
    .prepare(
      `SELECT commune_id AS communeId, site_id AS siteId, dry_below_pct AS dryBelowPct,
              wet_above_pct AS wetAbovePct, set_by AS setBy, set_ts AS setTs
       FROM soil_plot_thresholds`,
    )
    .all() as ThresholdOverride[];
  return new Map(rows.map((r) => [plotKey(r.communeId, r.siteId), r]));
}

export function setThresholdOverride(db: Db, o: ThresholdOverride): void {
  table(db)
    .prepare(
      `INSERT INTO soil_plot_thresholds (commune_id, site_id, dry_below_pct, wet_above_pct, set_by, set_ts)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (commune_id, site_id) DO UPDATE SET dry_below_pct = excluded.dry_below_pct,
         wet_above_pct = excluded.wet_above_pct, set_by = excluded.set_by, set_ts = excluded.set_ts`,
    )
    .run(o.communeId, o.siteId, o.dryBelowPct, o.wetAbovePct, o.setBy, o.setTs);
}

/** True when there was one to take off. */
export function clearThresholdOverride(db: Db, communeId: string, siteId: string): boolean {
  return (
    table(db)
      .prepare('DELETE FROM soil_plot_thresholds WHERE commune_id = ? AND site_id = ?')
      .run(communeId, siteId).changes > 0
  );
}
