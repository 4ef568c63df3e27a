import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** Pragmas of the spool file's connection on the writer thread. */
export const WRITER_PRAGMAS = [
  'busy_timeout = 5000',
  // WAL + NORMAL: a committed row survives kill -9 of the process; only an OS crash can lose the
  // last commits, and the checkpoints' fsync runs on the writer thread, not the event loop.
  'journal_mode = WAL',
  'synchronous = NORMAL',
];

/**
 * AUTOINCREMENT: an id is never used twice, even once the table is empty (plain rowids are). Acked
 * rows are removed by the writer thread a little later, and until then head() skips them by id: a
 * reused id would be skipped. And two processes may drain one shard's file across a takeover (a
 * stalled old holder waking up): the old holder's "delete up to id N" must not remove a row the new
 * holder has just appended.
 */
const CREATE_TABLE = `CREATE TABLE spool (
  id INTEGER PRIMARY KEY AUTOINCREMENT, received_ts INTEGER NOT NULL, topic TEXT NOT NULL,
  client_id TEXT NOT NULL, payload BLOB NOT NULL, work TEXT NOT NULL)`;

/** One spooled message: received_ts, topic, client_id, payload, work (JSON). */
export const INSERT_ROW =
  'INSERT INTO spool (received_ts, topic, client_id, payload, work) VALUES (?, ?, ?, ?, ?)';
export const INSERT_ROW_WIDTH = 5;

/** One row: the highest receive stamp (ReceiveStamps) committed to this file. */
const STAMP_FLOOR_TABLE =
  'CREATE TABLE IF NOT EXISTS stamp_floor (id INTEGER PRIMARY KEY CHECK (id = 1), ts INTEGER NOT NULL)';
/** Raises the stamp floor to ? (never lowers it). */
export const RAISE_STAMP_FLOOR =
  'INSERT INTO stamp_floor (id, ts) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET ts = max(ts, excluded.ts)';

/** Creates the tables, or moves the rows of one made before ids were AUTOINCREMENT into a new one. */
function createOrUpgrade(db: Database.Database): void {
  db.transaction(() => {
    const sql = db
      .prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'spool'")
      .pluck()
      .get() as string | undefined;
    db.exec(
      'CREATE TABLE IF NOT EXISTS accepted_keys (id INTEGER PRIMARY KEY, key TEXT NOT NULL, received_ts INTEGER NOT NULL)',
    );
    db.exec(STAMP_FLOOR_TABLE);
    if (sql === undefined) db.exec(CREATE_TABLE);
    else if (!/AUTOINCREMENT/i.test(sql))
      db.exec(`ALTER TABLE spool RENAME TO spool_before_autoincrement; ${CREATE_TABLE};
        INSERT INTO spool SELECT * FROM spool_before_autoincrement; DROP TABLE spool_before_autoincrement;`);
  }).immediate();
}

/**
 * Opens the file (creating its folder and tables, upgrading an older one) and returns the event
 * loop's query-only connection to it. From here on only the writer thread writes it. Throws when
 * the file cannot be opened; the connection is closed then.
 */
export function openSpoolReader(file: string, onOpen: (db: Database.Database) => void): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    createOrUpgrade(db);
    db.pragma('query_only = ON');
    onOpen(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Pages in use (not free-listed) × page size: what the rows occupy, since SQLite reuses freed pages. */
export function usedBytesOf(db: Database.Database): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
}
