// @ts-check
/**
 * The SQLite store's writer thread: every write to the readings file runs here, on its own
 * connection, so a 2,000-message batch (tens of ms of B-tree work) never blocks the event loop
 * that parses MQTT and sends PUBACKs, and the machine's second core does it.
 *
 * Plain JavaScript on purpose: a worker thread does not inherit the TypeScript loader under every
 * runner (vitest, tsx, node), and this file holds no logic of ours, only a generic "run these
 * statements in one transaction". Every SQL statement comes from sqlite-store.ts.
 *
 * Request:  { id, steps: [{ sql, params?: unknown[] } | { sql, flat: unknown[], width }], transaction }
 * Reply:    { id, ok: true, changes: number[] } | { id, ok: false, message, code }
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, pragmas } = /** @type {{ file: string, pragmas: string[] }} */ (workerData);
mkdirSync(dirname(file), { recursive: true });
const db = new Database(file);
for (const p of pragmas) db.pragma(p);

/** @type {Map<string, import('better-sqlite3').Statement>} */
const prepared = new Map();
/** @param {string} sql */
function statement(sql) {
  let s = prepared.get(sql);
  if (!s) {
    s = db.prepare(sql);
    prepared.set(sql, s);
  }
  return s;
}

/** @param {{ sql: string, params?: unknown[], flat?: unknown[], width?: number }} step */
function runStep(step) {
  if (step.flat) {
    const s = statement(step.sql);
    const w = /** @type {number} */ (step.width);
    const row = new Array(w);
    for (let i = 0; i < step.flat.length; i += w) {
      for (let j = 0; j < w; j++) row[j] = step.flat[i + j];
      s.run(row);
    }
    return step.flat.length / w;
  }
  if (step.params === undefined && /;\s*\S/.test(step.sql)) {
    db.exec(step.sql);
    return 0;
  }
  return statement(step.sql).run(...(step.params ?? [])).changes;
}

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', (req) => {
  if (req === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const run = () => req.steps.map(runStep);
    const changes = req.transaction ? db.transaction(run)() : run();
    port.postMessage({ id: req.id, ok: true, changes });
  } catch (err) {
    const e = /** @type {{ message?: string, code?: string }} */ (err);
    port.postMessage({ id: req.id, ok: false, message: String(e?.message ?? err), code: e?.code ?? null });
  }
});
