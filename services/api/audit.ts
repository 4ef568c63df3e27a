import type { User } from '../auth/users.ts';
import type { Db } from '../store/db.ts';

/** One audit row as the API shows it; `detail` holds what the action needs besides its target. */
export interface AuditEntry {
  readonly id: number;
  readonly ts: number;
  readonly username: string;
  readonly role: string;
  readonly action: string;
  readonly target: string;
  readonly communeId: string | null;
  readonly detail: Record<string, unknown> | null;
}

/** A search of the log: every field optional; `fromTs` inclusive, `toTs` exclusive (epoch ms). */
export interface AuditFilter {
  readonly communeId?: string | undefined;
  readonly username?: string | undefined;
  readonly action?: string | undefined;
  readonly fromTs?: number | undefined;
  readonly toTs?: number | undefined;
}

const COLUMNS = 'id, ts, username, role, action, target, commune_id AS communeId, detail';

/**
 * Who read what sensitive data (camera status, history), and who changed what (maintenance,
 * passwords, locks, device secrets), and when. Never a password or a hash: `detail` is for
 * reasons, planned ends and counts.
 */
export class AuditLog {
  private readonly insert;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO audit_log (ts, username, role, action, target, commune_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /**
   * `communeId` defaults to the actor's; an admin acting on a device or a user of their commune
   * gives it anyway, and a province actor (null) is logged under the commune acted on when given.
   */
  record(
    user: User,
    action: string,
    target: string,
    ts = Date.now(),
    detail?: Record<string, unknown>,
    communeId: string | null = user.communeId,
  ): void {
    this.insert.run(
      ts,
      user.username,
      user.role,
      action,
      target,
      communeId,
      detail === undefined ? null : JSON.stringify(detail),
    );
  }

  /** The newest `limit` rows (of one commune, or all): GET /api/audit, the page's filter-free view. */
  latest(limit: number, communeId?: string): AuditEntry[] {
    return this.search({ communeId }, limit).entries;
  }

  /** Rows matching the filter, newest first, `limit` from `offset`, and how many match in all. */
  search(filter: AuditFilter, limit: number, offset = 0): { entries: AuditEntry[]; total: number } {
    const { where, args } = whereOf(filter);
    const total = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM audit_log ${where}`).get(...args) as { n: number }
    ).n;
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY ts DESC, id DESC LIMIT ? OFFSET ?`)
      .all(...args, limit, offset) as Array<Omit<AuditEntry, 'detail'> & { detail: string | null }>;
    return {
      entries: rows.map((r) => ({ ...r, detail: r.detail === null ? null : JSON.parse(r.detail) })),
      total,
    };
  }

  /** The distinct actions and user names in a commune's log (null: all), for the page's filters. */
  facets(communeId: string | null): { actions: string[]; usernames: string[] } {
    const { where, args } = whereOf(communeId === null ? {} : { communeId });
    const col = (c: string) =>
      this.db
        .prepare(`SELECT DISTINCT ${c} FROM audit_log ${where} ORDER BY 1`)
        .pluck()
        .all(...args) as string[];
    return { actions: col('action'), usernames: col('username') };
  }
}

function whereOf(f: AuditFilter): { where: string; args: (string | number)[] } {
  const parts: string[] = [];
  const args: (string | number)[] = [];
  const add = (sql: string, v: string | number | undefined) => {
    if (v === undefined) return;
    parts.push(sql);
    args.push(v);
  };
  add('commune_id = ?', f.communeId);
  add('username = ?', f.username);
  add('action = ?', f.action);
  add('ts >= ?', f.fromTs);
  add('ts < ?', f.toTs);
  return { where: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}
