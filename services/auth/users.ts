import { chmodSync, writeFileSync } from 'node:fs';
import type { Config } from '../../config/load.ts';
import type { Role } from '../../config/schema/commune.ts';
import type { Db } from '../store/db.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';

export interface User {
  readonly username: string;
  readonly name: string;
  readonly role: Role;
  /** The user's commune; null for a province user, who sees every commune of the deployment. */
  readonly communeId: string | null;
}

/**
 * How a province user's commune is kept in the users table (commune_id is NOT NULL since the first
 * migration): a value no commune id can take (ids are kebab-case), mapped to null at this edge.
 */
const ALL_COMMUNES = '*';

/** A hash that no password matches, so unknown users cost as much time as known ones. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class Users {
  constructor(private readonly db: Db) {}

  /**
   * Mirrors the users of the commune files (and the province users of the service file) into the
   * database; users no longer in the config are removed with their sessions. A user with a
   * passwordHash in config takes it; one without keeps its stored hash or, the first time, gets a
   * generated password that is returned (and written by the caller to a 0600 file), never logged.
   */
  async sync(
    config: Pick<Config, 'communes'> & { readonly service?: Pick<Config['service'], 'users'> },
    now = Date.now(),
  ): Promise<Map<string, string>> {
    const generated = new Map<string, string>();
    const upsert = this.db.prepare(
      `INSERT INTO users (username, commune_id, name, role, password_hash, updated_ts) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET commune_id = excluded.commune_id, name = excluded.name,
         role = excluded.role, password_hash = excluded.password_hash, updated_ts = excluded.updated_ts`,
    );
    const existing = this.db.prepare('SELECT password_hash AS h FROM users WHERE username = ?');
    const everyone = [
      ...config.communes.flatMap((c) => c.users.map((u) => ({ ...u, communeId: c.commune.id }))),
      ...(config.service?.users ?? []).map((u) => ({ ...u, communeId: ALL_COMMUNES })),
    ];
    for (const u of everyone) {
      const stored = existing.get(u.username) as { h: string } | undefined;
      let hash = u.passwordHash ?? stored?.h;
      if (hash === undefined) {
        const pw = generatePassword();
        generated.set(u.username, pw);
        hash = await hashPassword(pw);
      }
      upsert.run(u.username, u.communeId, u.name, u.role, hash, now);
    }
    // A user taken out of the config loses access at once: row and open sessions go together.
    const keep = new Set(everyone.map((u) => u.username));
    const gone = (this.db.prepare('SELECT username FROM users').pluck().all() as string[]).filter(
      (u) => !keep.has(u),
    );
    this.db.transaction(() => {
      for (const u of gone) {
        this.db.prepare('DELETE FROM sessions WHERE username = ?').run(u);
        this.db.prepare('DELETE FROM users WHERE username = ?').run(u);
      }
    })();
    return generated;
  }

  /** Sets a new password (used by tests and the CLI). */
  async setPassword(username: string, password: string): Promise<void> {
    const hash = await hashPassword(password);
    this.db
      .prepare('UPDATE users SET password_hash = ?, updated_ts = ? WHERE username = ?')
      .run(hash, Date.now(), username);
  }

  get(username: string): User | undefined {
    const row = this.db
      .prepare('SELECT username, name, role, commune_id AS communeId FROM users WHERE username = ?')
      .get(username) as User | undefined;
    return row && row.communeId === ALL_COMMUNES ? { ...row, communeId: null } : row;
  }

  /** The user when the password matches; undefined otherwise, in constant-ish time. */
  async verify(username: string, password: string): Promise<User | undefined> {
    const row = this.db.prepare('SELECT password_hash AS h FROM users WHERE username = ?').get(username) as
      | { h: string }
      | undefined;
    const ok = await verifyPassword(password, row?.h ?? DUMMY_HASH);
    return ok && row ? this.get(username) : undefined;
  }
}

/** Appends first-start passwords to a file only the service's user can read. */
export function writeInitialPasswords(
  file: string,
  generated: ReadonlyMap<string, string>,
  users: Users,
): void {
  if (generated.size === 0) return;
  const lines = [...generated].map(([u, pw]) => `${u}\t${users.get(u)?.role ?? ''}\t${pw}`);
  writeFileSync(
    file,
    `# user\trole\tpassword (generated at first start; change them and delete this file)\n${lines.join('\n')}\n`,
    {
      mode: 0o600,
      flag: 'a',
    },
  );
  chmodSync(file, 0o600);
}
