/**
 * The durable spool between PUBACK and the store:
 *   - Spool group-commit rate for 100k typical telemetry messages (one soil sensor document, 5 readings);
 *   - replay rate: a BatchWriter draining that pre-filled spool into SqliteStore, as after a crash;
 *   - RSS while 200k messages go through Ingest.accept with the store down (a real InfluxStore
 *     pointed at a closed loopback port), in a child process so the figure is not the bench's.
 * All real classes, files in a temp dir with the service's own pragmas.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../config/load.ts';
import { AvailabilityEngine } from '../../services/availability/engine.ts';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import { ServiceRuns } from '../../services/availability/service-runs.ts';
import { BatchWriter } from '../../services/ingest/batch-writer.ts';
import { Ingest } from '../../services/ingest/ingest.ts';
import { RejectLog } from '../../services/ingest/reject-log.ts';
import { Spool, type SpoolEntry } from '../../services/ingest/spool.ts';
import { DeviceDirectory } from '../../services/inventory/device-directory.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { openDb } from '../../services/store/db.ts';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { InfluxStore } from '../../services/store/influxdb/influx-store.ts';
import { type Figure, fmtInt, fmtMB, freePort, track, writeBenchService } from './harness.ts';

const APPENDS = 100_000;
const STORE_DOWN_MESSAGES = 200_000;
/** The service's defaults (config/schema/service.ts). */
const SPOOL_OPTS = { maxBytes: 1_073_741_824, alarmPct: 80 };
const BATCH = { maxSize: 500, maxDelayMs: 200 };
const METRICS = ['soilMoisturePct', 'soilTempC', 'batteryPct', 'rssiDbm', 'snrDb'];

const silent = createLogger({ level: 'silent' });

function telemetryEntry(i: number, t0: number): SpoolEntry {
  const deviceId = `b-soil-${String((i % 100) + 1).padStart(5, '0')}`;
  const ts = t0 + i;
  const values = [31.2 + (i % 10), 27.4, 88, -97, 7.5];
  const payload = Buffer.from(
    JSON.stringify({ v: 1, ts, metrics: Object.fromEntries(METRICS.map((m, k) => [m, values[k]])) }),
  );
  return {
    receivedTs: ts,
    topic: `cx/v1/bench/${deviceId}/telemetry`,
    clientId: deviceId,
    payload,
    work: {
      readings: METRICS.map((metric, k) => ({ communeId: 'bench', deviceId, metric, ts, value: values[k]! })),
      events: [],
    },
  };
}

async function appendAndReplay(): Promise<{ figures: Figure[]; lines: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-bench-spool-'));
  try {
    const spoolFile = join(dir, 'spool', 'spool.sqlite');
    const spool = new Spool(spoolFile, { ...SPOOL_OPTS, log: silent });
    spool.open();
    const t0 = Date.UTC(2025, 5, 1);
    const entries = Array.from({ length: APPENDS }, (_, i) => telemetryEntry(i, t0));
    // As ingest appends: group commits (of up to 1,000, one per event-loop turn) on the spool's
    // writer thread, all sent before the first is answered.
    const started = performance.now();
    let refused = 0;
    for (const e of entries) spool.appendGrouped(e, (ok) => void (ok || refused++));
    await spool.flushPending();
    const appendMs = performance.now() - started;
    if (refused > 0) throw new Error(`${refused} appends refused: ${spool.stats().lastError}`);
    const fileBytes = statSync(spoolFile).size + statSync(`${spoolFile}-wal`).size;

    const db = openDb(join(dir, 'canhxa.sqlite'));
    const store = new SqliteStore({ file: join(dir, 'readings.sqlite') });
    await store.start();
    const writer = new BatchWriter(store, spool, db, new RejectLog(db, { kept: 10_000 }), {
      ...BATCH,
      log: silent,
      clock: Date.now,
    });
    const replayStart = performance.now();
    await writer.flush();
    const replayMs = performance.now() - replayStart;
    const stats = writer.snapshot();
    const rows = (await store.query({ fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: 10_000_000 })).length;
    const left = spool.stats().depth;
    await spool.close();
    await store.close();
    db.close();
    if (left !== 0 || rows !== APPENDS * METRICS.length)
      throw new Error(
        `replay left ${left} rows in the spool and stored ${rows} readings (expected ${APPENDS * METRICS.length})`,
      );

    const appendRate = APPENDS / (appendMs / 1000);
    const replayRate = APPENDS / (replayMs / 1000);
    return {
      lines: [
        `  Spool group commits: ${fmtInt(APPENDS)} telemetry messages (${entries[0]!.payload.length} B payload, ${METRICS.length} readings) in ${fmtInt(appendMs)} ms = ` +
          `${fmtInt(appendRate)} msgs/s (${((appendMs * 1000) / APPENDS).toFixed(1)} µs each); spool file ${fmtMB(fileBytes)}`,
        `  replay: BatchWriter (batches of ${BATCH.maxSize}) drained them into SqliteStore in ${fmtInt(replayMs)} ms = ${fmtInt(replayRate)} msgs/s ` +
          `(${fmtInt(replayRate * METRICS.length)} readings/s, ${stats.batches} batches)`,
      ],
      figures: [
        {
          scenario: 'spool',
          name: 'Spool group commit msgs/s',
          value: fmtInt(appendRate),
          note: `${((appendMs * 1000) / APPENDS).toFixed(1)} µs per message`,
        },
        {
          scenario: 'spool',
          name: 'replay spool → SqliteStore msgs/s',
          value: fmtInt(replayRate),
          note: `${fmtInt(replayRate * METRICS.length)} readings/s`,
        },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface StoreDownResult {
  readonly acceptMs: number;
  readonly rss: number[];
  readonly heapUsed: number[];
  readonly depth: number;
  readonly inMemory: number;
  readonly writerOk: boolean;
  readonly lastError: string | null;
  readonly spoolBytes: number;
}

/** Runs in a child process: Ingest.accept for every message while the store refuses every write. */
async function storeDownChild(): Promise<StoreDownResult> {
  const svc = writeBenchService(100);
  try {
    const config = loadConfig(svc.configFile, {});
    const db = openDb(join(svc.dataDir, 'canhxa.sqlite'));
    const directory = new DeviceDirectory(config);
    const availability = new AvailabilityEngine({
      directory,
      intervals: new IntervalLog(db),
      runs: new ServiceRuns(db),
      clock: Date.now,
      checkIntervalMs: 1000,
      aliveIntervalMs: 5000,
      onChange: () => {},
      log: silent,
    });
    availability.start();
    // A port that was free a moment ago and is closed now: every write is ECONNREFUSED.
    const port = await freePort();
    const store = new InfluxStore(
      { url: `http://127.0.0.1:${port}`, database: 'bench' },
      { log: silent, timeoutMs: 2000 },
    );
    const spool = new Spool(join(svc.dataDir, 'spool', 'spool.sqlite'), { ...SPOOL_OPTS, log: silent });
    spool.open();
    const ingest = new Ingest({
      directory,
      availability,
      store,
      rejects: new RejectLog(db, { kept: 10_000 }),
      spool,
      db,
      clock: Date.now,
      batchMaxSize: BATCH.maxSize,
      batchMaxDelayMs: BATCH.maxDelayMs,
      log: silent,
    });
    ingest.start();
    const soil = svc.deviceIds.filter((id) => id.startsWith('b-soil-'));
    // With --expose-gc: heap figures after a full collection, so garbage is not counted as growth.
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
    gc();
    const rss: number[] = [process.memoryUsage().rss];
    const heapUsed: number[] = [process.memoryUsage().heapUsed];
    const t0 = Date.now();
    let acceptMs = 0;
    for (let i = 0; i < STORE_DOWN_MESSAGES; i++) {
      const deviceId = soil[i % soil.length]!;
      const ts = t0 + i;
      const s = performance.now();
      ingest.accept({
        topic: `cx/v1/bench/${deviceId}/telemetry`,
        payload: Buffer.from(
          `{"v":1,"ts":${ts},"metrics":{"soilMoisturePct":${31 + (i % 10)},"soilTempC":27.4,"batteryPct":88,"rssiDbm":-97,"snrDb":7.5}}`,
        ),
        clientId: deviceId,
        deviceId,
        receivedTs: ts,
      });
      acceptMs += performance.now() - s;
      // Let timers run as in the service, so the writer keeps trying (and failing) meanwhile.
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      if (i % 20_000 === 19_999) {
        gc();
        rss.push(process.memoryUsage().rss);
        heapUsed.push(process.memoryUsage().heapUsed);
      }
    }
    await spool.flushPending();
    const st = ingest.stats();
    const result: StoreDownResult = {
      acceptMs,
      rss,
      heapUsed,
      depth: st.spool.depth,
      inMemory: st.store.inMemory,
      writerOk: st.store.ok,
      lastError: st.store.lastError,
      spoolBytes: st.spool.usedBytes,
    };
    availability.stop();
    await spool.close();
    await store.close();
    db.close();
    return result;
  } finally {
    svc.remove();
  }
}

async function storeDown(): Promise<{ figures: Figure[]; lines: string[] }> {
  const child = track(
    fork(import.meta.filename, ['--store-down-child'], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const r = await new Promise<StoreDownResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as StoreDownResult));
    child.once('exit', (code) => reject(new Error(`store-down child exited (${code}) without a result`)));
  });
  const rate = STORE_DOWN_MESSAGES / (r.acceptMs / 1000);
  const peak = Math.max(...r.rss);
  return {
    lines: [
      `  store down (InfluxStore → closed port): ${fmtInt(STORE_DOWN_MESSAGES)} messages through Ingest.accept at ${fmtInt(rate)} msgs/s; ` +
        `spool depth ${fmtInt(r.depth)} (${fmtMB(r.spoolBytes)}), held in memory ${r.inMemory}, writer ok=${r.writerOk} (${r.lastError?.slice(0, 60)}…)`,
      `  RSS every 20k messages: ${r.rss.map((b) => (b / 1048576).toFixed(0)).join(' → ')} MB; JS heap after GC ${r.heapUsed.map((b) => (b / 1048576).toFixed(0)).join(' → ')} MB`,
    ],
    figures: [
      {
        scenario: 'spool',
        name: 'RSS while spooling 200k msgs, store down',
        value: `${fmtMB(r.rss[0]!)} → peak ${fmtMB(peak)}`,
        note: `spool ${fmtMB(r.spoolBytes)}, ${r.inMemory} held in memory`,
      },
      {
        scenario: 'spool',
        name: 'Ingest.accept msgs/s (in-process, store down)',
        value: fmtInt(rate),
        note: 'validation + spool append, no broker',
      },
    ],
  };
}

export async function benchSpool(): Promise<{ figures: Figure[]; lines: string[] }> {
  const a = await appendAndReplay();
  for (const l of a.lines) console.log(l);
  const b = await storeDown();
  for (const l of b.lines) console.log(l);
  return { figures: [...a.figures, ...b.figures], lines: [...a.lines, ...b.lines] };
}

if (process.argv.includes('--store-down-child')) {
  const r = await storeDownChild();
  process.send!(r, () => process.exit(0));
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchSpool();
}
