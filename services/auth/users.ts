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

/** What the dashboard changes about an account; never the hash. */
export interface AccountState {
  /** A generated or reset password: the session may only choose a new one. */
  readonly mustChangePassword: boolean;
  /** Locked by an admin (epoch ms), and by whom; null when not locked. */
  readonly lockedTs: number | null;
  readonly lockedBy: string | null;
  /** When the password was last set in the dashboard (epoch ms); null if never. */
  readonly passwordChangedTs: number | null;
}

export type Account = User & AccountState;

/**
 * How a province user's commune is kept in the users table (commune_id is NOT NULL since the first
 * migration): a value no commune id can take (ids are kebab-case), mapped to null at this edge.
 */
const ALL_COMMUNES = '*';

/** A hash that no password matches, so unknown users cost as much time as known ones. */
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

const ACCOUNT_COLUMNS = `username, name, role, commune_id AS communeId, must_change AS mustChange,
  locked_ts AS lockedTs, locked_by AS lockedBy, password_changed_ts AS passwordChangedTs`;

interface AccountRow extends Omit<User, 'communeId'> {
  communeId: string;
  mustChange: number;
  lockedTs: number | null;
  lockedBy: string | null;
  passwordChangedTs: number | null;
}

function toAccount(r: AccountRow): Account {
  const { mustChange, communeId, ...rest } = r;
  return {
    ...rest,
    communeId: communeId === ALL_COMMUNES ? null : communeId,
    mustChangePassword: mustChange === 1,
  };
}

/**
 * The people who sign in. Who exists and in which role comes from the commune files (and the
 * service file's province users), mirrored in at every start; the password chosen in the
 * dashboard, the must-change flag and the lock are kept in the database and survive restarts and
 * config reloads.
 */
export class Users {
  constructor(private readonly db: Db) {}

  /**
   * Mirrors the users of the commune files (and the province users of the service file) into the
   * database; users no longer in the config are removed with their sessions. A passwordHash in
   * config is taken when it is new or differs from the one last taken from the file (an operator
   * re-set it there); otherwise the stored hash stays, so a password changed in the dashboard
   * outlives the file. A user with neither gets, the first time, a generated password that is
   * returned (and written by the caller to a 0600 file), never logged, and must be changed at first
   * sign-in.
   */
  async sync(
    config: Pick<Config, 'communes'> & { readonly service?: Pick<Config['service'], 'users'> },
    now = Date.now(),
  ): Promise<Map<string, string>> {
    const generated = new Map<string, string>();
    const upsert = this.db.prepare(
      `INSERT INTO users (username, commune_id, name, role, password_hash, updated_ts, must_change, config_hash)
       VALUES (@username, @communeId, @name, @role, @hash, @now, @mustChange, @configHash)
       ON CONFLICT (username) DO UPDATE SET commune_id = excluded.commune_id, name = excluded.name,
         role = excluded.role, password_hash = excluded.password_hash, updated_ts = excluded.updated_ts,
         must_change = excluded.must_change, config_hash = excluded.config_hash`,
    );
    const existing = this.db.prepare(
      'SELECT password_hash AS h, config_hash AS c, must_change AS m FROM users WHERE username = ?',
    );
    const everyone = [
      ...config.communes.flatMap((c) => c.users.map((u) => ({ ...u, communeId: c.commune.id }))),
      ...(config.service?.users ?? []).map((u) => ({ ...u, communeId: ALL_COMMUNES })),
    ];
    for (const u of everyone) {
      const stored = existing.get(u.username) as { h: string; c: string | null; m: number } | undefined;
      let hash = stored?.h;
      let mustChange = stored?.m ?? 0;
      // Rows from before config_hash was kept: the file's hash was taken when it equals the stored one.
      const lastFromFile = stored ? (stored.c ?? stored.h) : undefined;
      if (u.passwordHash !== undefined && u.passwordHash !== lastFromFile) {
        hash = u.passwordHash;
        mustChange = 0;
      }
      if (hash === undefined) {
        const pw = generatePassword();
        generated.set(u.username, pw);
        hash = await hashPassword(pw);
        mustChange = 1;
      }
      upsert.run({
        username: u.username,
        communeId: u.communeId,
        name: u.name,
        role: u.role,
        hash,
        now,
        mustChange,
        configHash: u.passwordHash ?? stored?.c ?? null,
      });
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

  /**
   * Sets a password chosen by the person (or by tests and the CLI): it clears must-change. With
   * `mustChange` (an admin's reset) the next sign-in may only choose a new one.
   */
  async setPassword(
    username: string,
    password: string,
    opts: { mustChange?: boolean; now?: number } = {},
  ): Promise<void> {
    const hash = await hashPassword(password);
    const now = opts.now ?? Date.now();
    this.db
      .prepare(
        `UPDATE users SET password_hash = ?, updated_ts = ?, must_change = ?,
           password_changed_ts = CASE WHEN ? THEN password_changed_ts ELSE ? END WHERE username = ?`,
      )
      .run(hash, now, opts.mustChange ? 1 : 0, opts.mustChange ? 1 : 0, now, username);
  }

  /**
   * Tests only: the state of an installation whose people have already chosen their passwords
   * (the generated ones stay valid), so a test signs in without the first-sign-in change.
   */
  acceptGeneratedPasswords(): void {
    this.db.prepare('UPDATE users SET must_change = 0').run();
  }

  /** Locks (with who did it) or unlocks an account; locking ends its sessions in the same transaction. */
  setLocked(username: string, locked: boolean, by: string, now = Date.now()): void {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE users SET locked_ts = ?, locked_by = ?, updated_ts = ? WHERE username = ?')
        .run(locked ? now : null, locked ? by : null, now, username);
      if (locked) this.db.prepare('DELETE FROM sessions WHERE username = ?').run(username);
    })();
  }

  get(username: string): User | undefined {
    const a = this.account(username);
    return a && { username: a.username, name: a.name, role: a.role, communeId: a.communeId };
  }

  account(username: string): Account | undefined {
    const row = this.db.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE username = ?`).get(username) as
      | AccountRow
      | undefined;
    return row && toAccount(row);
  }

  /** Every account of a commune (null: every account), by user name. */
  list(communeId: string | null): Account[] {
    const rows = (
      communeId === null
        ? this.db.prepare(`SELECT ${ACCOUNT_COLUMNS} FROM users ORDER BY username`).all()
        : this.db
            .prepare(`SELECT ${ACCOUNT_COLUMNS} FROM users WHERE commune_id = ? ORDER BY username`)
            .all(communeId)
    ) as AccountRow[];
    return rows.map(toAccount);
  }

  /**
   * The account when the password matches, in constant-ish time; undefined otherwise. A locked
   * account is returned too (with lockedTs): the caller refuses it, and only after the password
   * proved who asks, so a guess learns nothing about locks.
   */
  async verify(username: string, password: string): Promise<Account | undefined> {
    const row = this.db.prepare('SELECT password_hash AS h FROM users WHERE username = ?').get(username) as
      | { h: string }
      | undefined;
    const ok = await verifyPassword(password, row?.h ?? DUMMY_HASH);
    return ok && row ? this.account(username) : undefined;
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
