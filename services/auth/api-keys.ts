import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/db.ts';

/**
 * What an API key may read. Deliberately only these two: a key never reaches a session route,
 * camera data, the audit log or ingest internals.
 *  - `summaries`: per-commune counts and availability (GET /api/ioc/v1/summaries, /health)
 *  - `states`: current states and state changes of non-camera devices (GET /api/ioc/v1/states, /changes)
 */
export const API_KEY_SCOPES = ['summaries', 'states'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Every key starts with this, so a leaked one is easy to spot (secret scanners, logs). */
export const API_KEY_PREFIX = 'cxk_';

export interface ApiKey {
  readonly id: number;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Only these communes; null = every commune of the deployment. */
  readonly communes: readonly string[] | null;
  readonly createdTs: number;
  readonly lastUsedTs: number | null;
  readonly revokedTs: number | null;
  /** The first characters of the key, to tell keys apart in a list; not enough to use it. */
  readonly hint: string;
}

interface Row {
  id: number;
  name: string;
  scopes: string;
  communes: string | null;
  created_ts: number;
  last_used_ts: number | null;
  revoked_ts: number | null;
  hint: string;
}

/**
 * 256-bit random keys. Only their SHA-256 is stored: a key has full entropy, so a fast hash is
 * enough (no guessing to slow down), and lookup is one indexed read per request.
 */
export class ApiKeys {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Creates a key and returns it in plain text: the only time it exists outside the caller. */
  create(opts: { name: string; scopes: readonly ApiKeyScope[]; communes?: readonly string[] | null }): {
    key: string;
    apiKey: ApiKey;
  } {
    const scopes = [...new Set(opts.scopes)].filter((s) => API_KEY_SCOPES.includes(s));
    if (scopes.length === 0)
      throw new Error(`an API key needs at least one scope of: ${API_KEY_SCOPES.join(', ')}`);
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const hint = key.slice(0, API_KEY_PREFIX.length + 6);
    const { lastInsertRowid } = this.db
      .prepare(
        'INSERT INTO api_keys (name, key_hash, hint, scopes, communes, created_ts) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(
        opts.name.normalize('NFC'),
        hashKey(key),
        hint,
        scopes.join(','),
        opts.communes?.length ? opts.communes.join(',') : null,
        this.clock(),
      );
    return { key, apiKey: this.get(Number(lastInsertRowid))! };
  }

  /** The key's record when the key is known and not revoked; undefined otherwise. Notes its use. */
  verify(key: string): ApiKey | undefined {
    if (!key.startsWith(API_KEY_PREFIX) || key.length > 128) return undefined;
    const row = this.db
      .prepare('SELECT * FROM api_keys WHERE key_hash = ? AND revoked_ts IS NULL')
      .get(hashKey(key)) as Row | undefined;
    if (!row) return undefined;
    const now = this.clock();
    // One write per minute per key at most: an IOC polling every second must not turn reads into writes.
    if (row.last_used_ts === null || now - row.last_used_ts > 60_000)
      this.db.prepare('UPDATE api_keys SET last_used_ts = ? WHERE id = ?').run(now, row.id);
    return toKey({ ...row, last_used_ts: now });
  }

  get(id: number): ApiKey | undefined {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    return row ? toKey(row) : undefined;
  }

  list(): ApiKey[] {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY id').all() as Row[]).map(toKey);
  }

  /** True when an active key was revoked. */
  revoke(id: number): boolean {
    return (
      this.db
        .prepare('UPDATE api_keys SET revoked_ts = ? WHERE id = ? AND revoked_ts IS NULL')
        .run(this.clock(), id).changes > 0
    );
  }
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function toKey(r: Row): ApiKey {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes
      .split(',')
      .filter((s): s is ApiKeyScope => (API_KEY_SCOPES as readonly string[]).includes(s)),
    communes: r.communes ? r.communes.split(',') : null,
    createdTs: r.created_ts,
    lastUsedTs: r.last_used_ts,
    revokedTs: r.revoked_ts,
    hint: r.hint,
  };
}
