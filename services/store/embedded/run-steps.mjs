// @ts-check
/**
 * Runs WriteSteps (write-thread.ts) on one better-sqlite3 connection: the store's writer thread and
 * the event loop's small-batch connection (sqlite-store.ts) run the same statements the same way.
 * Plain JavaScript, as the worker thread that imports it (write-thread.worker.mjs).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * @typedef {{
 *   db: import('better-sqlite3').Database,
 *   prepared: Map<string, import('better-sqlite3').Statement>,
 *   inTransaction: (steps: any[]) => unknown[],
 *   inImmediateTransaction: (steps: any[]) => unknown[],
 * }} Conn
 */

/**
 * Opens `file` (and its folder) with `pragmas`, closing it again if one fails.
 * @param {string} file @param {readonly string[]} pragmas @returns {Conn}
 */
export function openConn(file, pragmas) {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    for (const p of pragmas) db.pragma(p);
  } catch (err) {
    db.close();
    throw err;
  }
  return connFor(db);
}

/** @param {import('better-sqlite3').Database} db @returns {Conn} */
function connFor(db) {
  /** @type {Conn} */
  const c = { db, prepared: new Map(), inTransaction: () => [], inImmediateTransaction: () => [] };
  // Made once a connection: better-sqlite3 builds a wrapper and its variants on every call.
  const tx = db.transaction((/** @type {any[]} */ steps) => runSteps(c, steps));
  c.inTransaction = tx;
  c.inImmediateTransaction = tx.immediate;
  return c;
}

/** @param {Conn} c @param {any[]} steps */
export function runSteps(c, steps) {
  return steps.map((step) => runStep(c, step));
}

/** @param {Conn} c @param {{ sql: string, params?: unknown[], row?: boolean, flat?: unknown[], width?: number, ids?: boolean, script?: boolean }} step */
function runStep(c, step) {
  if (step.flat) {
    const s = statement(c, step.sql);
    const w = /** @type {number} */ (step.width);
    const row = new Array(w);
    /** @type {number[]} */
    const ids = [];
    for (let i = 0; i < step.flat.length; i += w) {
      for (let j = 0; j < w; j++) row[j] = step.flat[i + j];
      const info = s.run(row);
      if (step.ids) ids.push(Number(info.lastInsertRowid));
    }
    return step.ids ? ids : step.flat.length / w;
  }
  if (step.script) {
    c.db.exec(step.sql);
    return 0;
  }
  if (step.row) return statement(c, step.sql).get(...(step.params ?? []));
  return statement(c, step.sql).run(...(step.params ?? [])).changes;
}

/** @param {Conn} c @param {string} sql */
function statement(c, sql) {
  let s = c.prepared.get(sql);
  if (!s) {
    s = c.db.prepare(sql);
    c.prepared.set(sql, s);
  }
  return s;
}
