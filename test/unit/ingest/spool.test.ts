import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit } from '../../../services/ingest/spool/group-commit.ts';
import { Spool, type SpoolEntry } from '../../../services/ingest/spool.ts';
import { createLogger } from '../../../services/shared/logger.ts';
import { THREADS } from '../../../services/store/embedded/write-thread.ts';
import { waitFor } from '../../setup/helpers.ts';

const log = createLogger({ level: 'silent' });
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'cx-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const entry = (i: number, bytes = 100) => ({
  receivedTs: 1_790_000_000_000 + i,
  topic: 'cx/v1/ta-lai/tl-cam-01/telemetry',
  clientId: 'tl-cam-01',
  payload: Buffer.alloc(bytes, 65),
  work: {
    readings: [
      { communeId: 'ta-lai', deviceId: 'tl-cam-01', metric: 'seqNo', ts: 1_790_000_000_000 + i, value: i },
    ],
    events: [],
  },
});

/** One message in a group of its own, now; resolves whether it was made durable. */
function appendNow(spool: Spool, e: SpoolEntry): Promise<boolean> {
  return new Promise((resolve) => {
    spool.appendGrouped(e, resolve);
    void spool.flushPending();
  });
}

describe('spool', () => {
  it('gives rows back in order and forgets them once acknowledged, across a reopen', async () => {
    const file = join(tmp(), 'spool.sqlite');
    const a = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    for (let i = 0; i < 10; i++) expect(await appendNow(a, entry(i))).toBe(true);
    const head = a.head(4);
    expect(head.map((r) => r.work.readings[0]!.value)).toEqual([0, 1, 2, 3]);
    a.ack(head.at(-1)!.id);
    await a.close();
    const b = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    b.open();
    expect(b.stats().depth).toBe(6);
    expect(b.head(100).map((r) => r.work.readings[0]!.value)).toEqual([4, 5, 6, 7, 8, 9]);
    await b.close();
  });

  it('raises the alarm before it is full, then refuses rows rather than fill the disk', async () => {
    const spool = new Spool(join(tmp(), 'spool.sqlite'), { maxBytes: 1_048_576, alarmPct: 50, log });
    spool.open();
    let alarmedWhileAccepting = false;
    let i = 0;
    while (await appendNow(spool, entry(i++, 8 * 1024))) {
      if (spool.stats().alarm) alarmedWhileAccepting = true;
      expect(i).toBeLessThan(1000);
    }
    expect(alarmedWhileAccepting).toBe(true);
    const s = spool.stats();
    expect(s).toMatchObject({ ok: false, alarm: true, appendFailures: 1 });
    expect(s.lastError).toMatch(/spool is full/);
    spool.ack(spool.head(1_000).at(-1)!.id);
    expect(await appendNow(spool, entry(i))).toBe(true);
    await spool.close();
  });

  it('reports an unusable folder instead of throwing, and recovers when it is fixed', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'spool'), 'not a folder');
    const spool = new Spool(join(dir, 'spool', 'spool.sqlite'), { maxBytes: 1_048_576, alarmPct: 80, log });
    expect(spool.open()).toBe(false);
    expect(await appendNow(spool, entry(1))).toBe(false);
    expect(spool.stats()).toMatchObject({ ok: false, alarm: true });
    expect(spool.stats().lastError).toMatch(/open/);
    rmSync(join(dir, 'spool'));
    mkdirSync(join(dir, 'spool'));
    expect(await appendNow(spool, entry(2))).toBe(true);
    expect(spool.stats().ok).toBe(true);
    await spool.close();
  });
});

describe('spool redelivery keys', () => {
  it('knows a key from the moment its message is taken, and after a reopen once it is committed', async () => {
    const file = join(tmp(), 'spool.sqlite');
    const a = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    a.open();
    a.appendGrouped({ ...entry(1), key: 'k-1', connection: 1 }, () => {});
    // Before its group commit: a resend arriving now on a new connection is the same message.
    expect(a.isResend('k-1', 2, false)).toBe(true);
    expect(a.isResend('k-2', 2, true)).toBe(false);
    await a.close();
    const b = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    b.open();
    expect(b.isResend('k-1', 1, false)).toBe(true);
    expect(b.isResend('k-2', 1, false)).toBe(false);
    await b.close();
  });

  it('takes a repeat on the same connection for a new message, unless it is marked DUP', async () => {
    const a = new Spool(join(tmp(), 'spool.sqlite'), { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    a.open();
    a.appendGrouped({ ...entry(1), key: 'k-1', connection: 7 }, () => {});
    expect(a.isResend('k-1', 7, false)).toBe(false);
    expect(a.isResend('k-1', 7, true)).toBe(true);
    // Connection unknown: only DUP says it is a resend.
    expect(a.isResend('k-1', undefined, false)).toBe(false);
    await a.close();
  });

  it('forgets the keys of a connection ended with DISCONNECT, in memory and in the file', async () => {
    const file = join(tmp(), 'spool.sqlite');
    const a = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    a.open();
    a.appendGrouped({ ...entry(1), key: 'k-1', connection: 1 }, () => {});
    a.appendGrouped({ ...entry(2), key: 'k-2', connection: 2 }, () => {});
    a.releaseKeys(1);
    expect(a.isResend('k-1', 3, false)).toBe(false);
    expect(a.isResend('k-2', 3, false)).toBe(true);
    await a.flushPending();
    await a.close();
    const b = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    b.open();
    expect(b.isResend('k-1', 3, false)).toBe(false);
    expect(b.isResend('k-2', 3, false)).toBe(true);
    b.releaseKeys('all');
    expect(b.isResend('k-2', 3, true)).toBe(false);
    await b.close();
  });
});

describe('spool receive-stamp floor', () => {
  it('keeps the highest stamp committed, so the next run of the file stamps above it', async () => {
    const file = join(tmp(), 'spool.sqlite');
    const a = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    a.open();
    expect(a.stampFloor()).toBe(0);
    a.appendGrouped({ ...entry(1), stampTs: 1_790_000_000_900 }, () => {});
    a.appendGrouped({ ...entry(2), stampTs: 1_790_000_000_700 }, () => {});
    await a.close();
    const b = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    b.open();
    expect(b.stampFloor()).toBe(1_790_000_000_900);
    // Never lowered by a later, smaller stamp.
    expect(await appendNow(b, { ...entry(3), stampTs: 1_790_000_000_100 })).toBe(true);
    await b.close();
    const c = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    c.open();
    expect(c.stampFloor()).toBe(1_790_000_000_900);
    await c.close();
  });
});

describe('spool file from an earlier version', () => {
  it('keeps its rows and never reuses an id once the table has emptied', async () => {
    const file = join(tmp(), 'spool.sqlite');
    // As 0.1 created it: plain rowids, which SQLite hands out again once the table is empty.
    const old = new Database(file);
    old.exec(`CREATE TABLE spool (
      id INTEGER PRIMARY KEY, received_ts INTEGER NOT NULL, topic TEXT NOT NULL, client_id TEXT NOT NULL,
      payload BLOB NOT NULL, work TEXT NOT NULL)`);
    const insert = old.prepare(
      'INSERT INTO spool (id, received_ts, topic, client_id, payload, work) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const i of [7, 8, 9]) {
      const e = entry(i);
      insert.run(i, e.receivedTs, e.topic, e.clientId, e.payload, JSON.stringify(e.work));
    }
    old.close();

    const spool = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    expect(spool.open()).toBe(true);
    const rows = spool.head(10);
    expect(rows.map((r) => [r.id, r.work.readings[0]!.value])).toEqual([
      [7, 7],
      [8, 8],
      [9, 9],
    ]);
    spool.ack(9);
    expect(spool.stats().depth).toBe(0);
    expect(await appendNow(spool, entry(10))).toBe(true);
    expect(spool.head(10).map((r) => r.id)).toEqual([10]);
    await spool.close();
  });
});

describe('spool group commit', () => {
  it('commits a group in one go and tells every caller, even when one callback throws', async () => {
    const spool = new Spool(join(tmp(), 'spool.sqlite'), { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    spool.open();
    const told: Array<[number, boolean]> = [];
    for (let i = 0; i < 5; i++)
      spool.appendGrouped(entry(i), (ok) => {
        told.push([i, ok]);
        if (i === 1) throw new Error('a broken caller');
      });
    expect(spool.stats().depth).toBe(0);
    await new Promise((r) => setImmediate(r));
    // The group went to the writer thread in that turn; flushPending() waits for its answer.
    await spool.flushPending();
    expect(told).toEqual([0, 1, 2, 3, 4].map((i) => [i, true]));
    expect(spool.stats().depth).toBe(5);
    expect(spool.head(10).map((r) => r.work.readings[0]!.value)).toEqual([0, 1, 2, 3, 4]);
    await spool.close();
  });

  it('lets the first row into an idle group wait gatherMs for the next ones, then commits them together', async () => {
    const commits: number[] = [];
    const group = new GroupCommit<number>(
      async (rows) => {
        commits.push(rows.length);
        return true;
      },
      log,
      200,
    );
    const told: number[] = [];
    group.add(1, () => told.push(1));
    // A later turn of the event loop: without the wait, row 1 would have gone alone by now.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    group.add(2, () => told.push(2));
    expect(commits).toEqual([]);
    await waitFor(() => told.length === 2, 'both rows told');
    expect(commits).toEqual([2]);
  });

  it('tells the callers of a failed group that their messages are not durable', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'spool'), 'not a folder');
    const spool = new Spool(join(dir, 'spool', 'spool.sqlite'), { maxBytes: 1_048_576, alarmPct: 80, log });
    const told: boolean[] = [];
    spool.appendGrouped(entry(1), (ok) => told.push(ok));
    spool.appendGrouped(entry(2), (ok) => told.push(ok));
    await spool.close();
    expect(told).toEqual([false, false]);
  });
});

describe('spool removals', () => {
  /** What each transaction sent to the spool's writer thread did: its statements' first words. */
  function recordTransactions(): string[] {
    const sent: string[] = [];
    const open = THREADS.spool.open.bind(THREADS.spool);
    vi.spyOn(THREADS.spool, 'open').mockImplementation((file, pragmas) => {
      const w = open(file, pragmas);
      return {
        run: (steps, what, o) => {
          sent.push(steps.map((s) => s.sql.trim().split(' ')[0]).join('+'));
          return w.run(steps, what, o);
        },
        close: () => w.close(),
        get outstanding() {
          return w.outstanding;
        },
      };
    });
    return sent;
  }
  afterEach(() => vi.restoreAllMocks());

  it('ride with the next group commit while messages keep coming: one transaction, not two', async () => {
    const sent = recordTransactions();
    const file = join(tmp(), 'spool.sqlite');
    const spool = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    spool.open();
    for (let i = 0; i < 3; i++) expect(await appendNow(spool, entry(i))).toBe(true);
    spool.ack(spool.head(10).at(-1)!.id);
    expect(await appendNow(spool, entry(3))).toBe(true);
    expect(sent).toEqual(['INSERT', 'INSERT', 'INSERT', 'DELETE+INSERT']);
    expect(spool.stats().depth).toBe(1);
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare('SELECT COUNT(*) FROM spool').pluck().get()).toBe(1);
    reader.close();
    await spool.close();
  });

  it('go alone once no commit comes to carry them, and at close', async () => {
    const sent = recordTransactions();
    const file = join(tmp(), 'spool.sqlite');
    const spool = new Spool(file, { maxBytes: 64 * 1024 * 1024, alarmPct: 80, log });
    spool.open();
    for (let i = 0; i < 3; i++) expect(await appendNow(spool, entry(i))).toBe(true);
    spool.ack(spool.head(1).at(-1)!.id);
    const reader = new Database(file, { readonly: true });
    const rows = () => reader.prepare('SELECT COUNT(*) FROM spool').pluck().get() as number;
    await waitFor(() => rows() === 2, 'the removal sent alone');
    expect(sent.at(-1)).toBe('DELETE');
    spool.ack(spool.head(10).at(-1)!.id);
    await spool.close();
    expect(rows()).toBe(0);
    reader.close();
  });
});
