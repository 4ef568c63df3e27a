import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../services/store/embedded/sqlite-store.ts';
import { WalCheckpointer } from '../../../services/store/embedded/wal-checkpointer.ts';
import { THREADS } from '../../../services/store/embedded/write-thread.ts';
import type { Reading } from '../../../services/store/store.ts';
import { waitFor } from '../../setup/helpers.ts';

const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cx-wal-'));
  dirs.push(dir);
  return join(dir, 'readings.sqlite');
}

/**
 * The WAL index's header, read from the -shm file as SQLite lays it out (native byte order, here
 * little-endian): mxFrame, the WAL's last committed frame, at byte 16; nBackfill, the frames
 * already copied into the database, at byte 96. What a checkpoint did, without running one.
 */
function walState(file: string): { frames: number; copied: number } {
  const shm = readFileSync(`${file}-shm`);
  return { frames: shm.readUInt32LE(16), copied: shm.readUInt32LE(96) };
}

/** A batch whose readings fall on many pages: one device each, spread over the key space. */
function spreadBatch(round: number): Reading[] {
  return Array.from({ length: 400 }, (_, i) => ({
    communeId: 'xa-thu',
    deviceId: `dev-${String((i * 7919 + round * 31) % 4000).padStart(4, '0')}`,
    metric: 'temp',
    ts: 1_700_000_000_000 + round * 1000 + i,
    value: i,
  }));
}

async function openStore(
  file: string,
  checkpoint: ConstructorParameters<typeof SqliteStore>[0]['checkpoint'],
) {
  const store = new SqliteStore({ file, checkpoint });
  await store.start();
  closers.push(() => store.close());
  return store;
}

describe('WAL checkpoints of the readings file', () => {
  it('are never made by a commit: the writer leaves every frame in the WAL past SQLite’s 1,000', async () => {
    const file = tempFile();
    // A checkpointer that never comes due: whatever is copied, a commit copied it.
    const store = await openStore(file, { everyMs: Number.POSITIVE_INFINITY });
    for (let round = 0; walState(file).frames < 1500; round++) {
      expect(round, 'the WAL never grew past 1,500 frames').toBeLessThan(200);
      await store.write(spreadBatch(round));
    }
    expect(walState(file).copied).toBe(0);
  });

  it('are made beside the writer, and restart the WAL once it is long enough', async () => {
    const file = tempFile();
    const store = await openStore(file, { everyMs: 0, restartAtPages: 200 });
    let longest = 0;
    let round = 0;
    await waitFor(
      async () => {
        await store.write(spreadBatch(round++));
        const { frames } = walState(file);
        // A restart: the writer began again at the WAL's start after a checkpoint had copied it all.
        if (frames < longest) return true;
        longest = Math.max(longest, frames);
        return false;
      },
      'the WAL to restart',
      30_000,
      0,
    );
    await waitFor(() => walState(file).copied > 0, 'a checkpoint to copy frames');
    // The restart kept the WAL near its bound, not at what was written in all.
    expect(longest).toBeLessThan(200 * 20);
    // And its file, which a restart reuses from the start, was cut back to twice the bound (of
    // this new file's 8 KiB pages).
    await store.write(spreadBatch(round++));
    expect(statSync(`${file}-wal`).size).toBeLessThanOrEqual(2 * 200 * 8192);
  });

  it('go back to the writer’s own automatic checkpoint when the checkpointer fails', async () => {
    const file = tempFile();
    const writer = THREADS.store.open(file, ['journal_mode = WAL', 'wal_autocheckpoint = 0']);
    closers.push(() => writer.close());
    await writer.run([{ sql: 'CREATE TABLE t (v)' }], 'create');
    // A connection already closed: every checkpoint asked of it fails.
    const broken = THREADS.checkpoint.open(file, []);
    await broken.close();
    const checkpointer = new WalCheckpointer(broken, writer, 5000, { everyMs: 0 });
    checkpointer.nudge();
    await waitFor(async () => {
      const [row] = await writer.run([{ sql: 'PRAGMA wal_autocheckpoint', row: true }], 'read', {
        transaction: false,
      });
      return (row as { wal_autocheckpoint: number }).wal_autocheckpoint === 1000;
    }, 'the writer to checkpoint itself again');
    const [timeout] = await writer.run([{ sql: 'PRAGMA busy_timeout', row: true }], 'read', {
      transaction: false,
    });
    expect(timeout).toEqual({ timeout: 5000 });
  });
});
