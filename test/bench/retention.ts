/**
 * Retention jobs beside ingest (`npm run bench -- --only retention`): on a readings file of two
 * days (1.9 million rows), the nightly prune of one day and a rollup of one day, as the embedded
 * store runs them (in chunks of whole hours) and, for reference in the same run, as one statement
 * each on the same writer thread. Meanwhile a 40-reading store batch is written every 20 ms, as
 * ingest would, and the bench prints how long those batches waited: one statement holds the writer
 * thread, and every batch behind it, for its whole length.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rollupStep, SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { THREADS } from '../../services/store/embedded/write-thread.ts';
import type { Reading } from '../../services/store/store.ts';
import { type Figure, fmtInt, fmtMs, percentile, sortNum } from './harness.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 1);
const ROWS_PER_HOUR = 40_000;
const HOURS = 48;

async function fill(store: SqliteStore): Promise<void> {
  let batch: Reading[] = [];
  for (let h = 0; h < HOURS; h++)
    for (let k = 0; k < ROWS_PER_HOUR; k++) {
      const ts = T0 + h * HOUR + Math.floor((k / ROWS_PER_HOUR) * HOUR);
      batch.push({ communeId: 'ta-lai', deviceId: `tl-${k % 400}`, metric: `m${k % 4}`, ts, value: k });
      if (batch.length === 20_000) {
        await store.write(batch);
        batch = [];
      }
    }
  if (batch.length > 0) await store.write(batch);
}

/** Runs `job` while writing a small batch every 20 ms; how long the job took and the batches waited. */
async function beside(store: SqliteStore, job: () => Promise<unknown>) {
  const waits: number[] = [];
  let done = false;
  let seq = 0;
  const batches = (async () => {
    while (!done) {
      const t = performance.now();
      await store.write(
        Array.from({ length: 40 }, () => ({
          communeId: 'loc-tan',
          deviceId: 'lt-probe',
          metric: 'm',
          ts: T0 + 100 * HOUR + seq++,
          value: 1,
        })),
      );
      waits.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const t = performance.now();
  await job();
  const ms = performance.now() - t;
  done = true;
  await batches;
  sortNum(waits);
  return { ms, p50: percentile(waits, 0.5), max: waits.at(-1) ?? 0 };
}

export async function benchRetention(): Promise<{ figures: Figure[] }> {
  const figures: Figure[] = [];
  const day = 24 * ROWS_PER_HOUR;
  for (const chunked of [true, false]) {
    const dir = mkdtempSync(join(tmpdir(), 'canhxa-bench-retention-'));
    const file = join(dir, 'readings.sqlite');
    const store = new SqliteStore({ file });
    // The reference's statements go to the same writer thread, on a connection of their own.
    const raw = THREADS.store.open(file, [
      'busy_timeout = 5000',
      'journal_mode = WAL',
      'synchronous = NORMAL',
    ]);
    try {
      await store.start();
      await fill(store);
      const how = chunked ? 'chunked (the store)' : 'one statement (reference)';
      const prune = await beside(store, () =>
        chunked
          ? store.prune({
              communeId: 'ta-lai',
              rawBeforeTs: T0 + 24 * HOUR,
              minuteBeforeTs: 0,
              hourBeforeTs: 0,
            })
          : raw.run(
              [
                {
                  sql: 'DELETE FROM readings WHERE commune_id = ? AND ts < ?',
                  params: ['ta-lai', T0 + 24 * HOUR],
                },
              ],
              'prune',
            ),
      );
      const rollup = await beside(store, () =>
        chunked
          ? store.rollup(T0 + 24 * HOUR, T0 + 48 * HOUR)
          : raw.run(
              (['1m', '1h'] as const).map((res) => rollupStep(res, T0 + 24 * HOUR, T0 + 48 * HOUR)),
              'rollup',
            ),
      );
      for (const [job, r] of [
        [`prune ${fmtInt(day)} of ${fmtInt(HOURS * ROWS_PER_HOUR)} rows`, prune],
        [`rollup of ${fmtInt(day)} rows (24 h)`, rollup],
      ] as const) {
        console.log(
          `  ${job}, ${how}: ${fmtMs(r.ms)}; 40-reading batches meanwhile waited p50 ${fmtMs(r.p50)}, max ${fmtMs(r.max)}`,
        );
        figures.push({
          scenario: 'retention',
          name: `${job}, ${how}: took / a store batch waited at most`,
          value: `${fmtMs(r.ms)} / ${fmtMs(r.max)}`,
        });
      }
    } finally {
      await raw.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { figures };
}
