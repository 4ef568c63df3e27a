// @ts-check
/**
 * A SQLite writer thread: runs the writes of one or more files, each on its own connection, so
 * their B-tree work, commits and WAL checkpoints (fsync) never block the event loop that parses
 * MQTT and sends PUBACKs, and run on the machine's other core.
 *
 * Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader under every
 * runner (vitest, tsx, node), and this file holds no logic of ours, only "run these statements on
 * this file, in one transaction". Every SQL statement comes from the TypeScript that sends it.
 *
 * Request:  { id, file, pragmas, steps: [{ sql, params?, row? } | { sql, flat, width, ids? } | { sql, script }], transaction }
 *           { id, file, close: true }            closes that file's connection
 *           'exit'                               closes every connection and ends the thread
 * Reply:    { id, ok: true, changes: Array<number | number[]> } | { id, ok: false, message, code }
 *           (per step: rows changed, with `ids` the rowid of each inserted row, with `row` its first row)
 */
import { parentPort } from 'node:worker_threads';
import { openConn, runSteps } from './run-steps.mjs';

/** @typedef {import('./run-steps.mjs').Conn} Conn */
/** @type {Map<string, Conn>} */
const conns = new Map();

/** @param {string} file @param {string[]} pragmas */
function conn(file, pragmas) {
  let c = conns.get(file);
  if (!c) {
    c = openConn(file, pragmas);
    conns.set(file, c);
  }
  return c;
}

/** @param {string} file */
function closeConn(file) {
  const c = conns.get(file);
  conns.delete(file);
  c?.db.close();
}

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', (req) => {
  if (req === 'exit') {
    for (const file of [...conns.keys()]) closeConn(file);
    port.close();
    return;
  }
  try {
    if (req.close) {
      closeConn(req.file);
      port.postMessage({ id: req.id, ok: true, changes: [] });
      return;
    }
    const c = conn(req.file, req.pragmas);
    const changes = req.transaction ? c.inTransaction(req.steps) : runSteps(c, req.steps);
    port.postMessage({ id: req.id, ok: true, changes });
  } catch (err) {
    const e = /** @type {{ message?: string, code?: string }} */ (err);
    // A connection that failed to open, or whose file went read-only or away, is dropped so the
    // next request opens it afresh.
    if (e?.code === 'SQLITE_READONLY' || e?.code === 'SQLITE_CANTOPEN' || !conns.has(req.file))
      closeConn(req.file);
    port.postMessage({ id: req.id, ok: false, message: String(e?.message ?? err), code: e?.code ?? null });
  }
});
