import type { User } from '../auth/users.ts';
import type { Db } from '../store/db.ts';

/** Who read what sensitive data (camera status, history, the audit log itself), and when. */
export class AuditLog {
  private readonly insert;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      'INSERT INTO audit_log (ts, username, role, action, target, commune_id) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  record(user: User, action: string, target: string, ts = Date.now()): void {
    this.insert.run(ts, user.username, user.role, action, target, user.communeId);
  }

  latest(limit: number, communeId?: string): unknown[] {
    return this.db
      .prepare(
        `SELECT ts, username, role, action, target, commune_id AS communeId FROM audit_log
         ${communeId ? 'WHERE commune_id = ?' : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...(communeId ? [communeId, limit] : [limit]));
  }
}
