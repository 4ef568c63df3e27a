import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';

/** Opaque session tokens; only their SHA-256 is stored, so a stolen database opens no session. */
export class Sessions {
  constructor(
    private readonly db: Db,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(username: string): string {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock();
    this.db
      .prepare('INSERT INTO sessions (token_hash, username, created_ts, expires_ts) VALUES (?, ?, ?, ?)')
      .run(hash(token), username, now, now + this.ttlMs);
    this.db.prepare('DELETE FROM sessions WHERE expires_ts < ?').run(now);
    return token;
  }

  /** The session's user name, or undefined when the token is unknown or expired. */
  lookup(token: string): string | undefined {
    const row = this.db
      .prepare('SELECT username FROM sessions WHERE token_hash = ? AND expires_ts > ?')
      .get(hash(token), this.clock()) as { username: string } | undefined;
    return row?.username;
  }

  destroy(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hash(token));
  }

  /**
   * Ends every session of the user but `keepToken` (the one that changed the password): a password
   * changed because it leaked must also shut out whoever used it. Returns how many ended.
   */
  destroyOthers(username: string, keepToken?: string): number {
    return this.db
      .prepare('DELETE FROM sessions WHERE username = ? AND token_hash != ?')
      .run(username, keepToken === undefined ? '' : hash(keepToken)).changes;
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}
