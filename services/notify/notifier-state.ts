import type { Db } from '../store/db.ts';

/**
 * A notifier's own durable values, by key (Zalo's rotated OAuth tokens). Kept in the service
 * database, never in the config, never logged and never returned by the API.
 */
export interface NotifierState {
  get(key: string): string | undefined;
  /** Committed before it returns (better-sqlite3 is synchronous): a crash right after keeps it. */
  set(key: string, value: string): void;
}

export function sqliteNotifierState(db: Db, notifier: string, clock: () => number): NotifierState {
  const read = db.prepare('SELECT value FROM notifier_state WHERE notifier = ? AND key = ?').pluck();
  const write = db.prepare(
    `INSERT INTO notifier_state (notifier, key, value, updated_ts) VALUES (?, ?, ?, ?)
     ON CONFLICT (notifier, key) DO UPDATE SET value = excluded.value, updated_ts = excluded.updated_ts`,
  );
  return {
    get: (key) => read.get(notifier, key) as string | undefined,
    set: (key, value) => void write.run(notifier, key, value, clock()),
  };
}

/** For a notifier made outside the service (a unit test): lost with the process. */
export function memoryNotifierState(): NotifierState {
  const m = new Map<string, string>();
  return { get: (k) => m.get(k), set: (k, v) => void m.set(k, v) };
}
