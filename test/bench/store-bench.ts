import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger } from '../../services/shared/logger.ts';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { InfluxStore } from '../../services/store/influxdb/influx-store.ts';
import type { Reading, Store } from '../../services/store/store.ts';
import { startInfluxd } from '../setup/influxd.ts';

/**
 * Write throughput of each store, in ingest's default batch size (config ingest.batchMaxSize).
 * Not run by vitest: `npx tsx test/bench/store-bench.ts`. SQLite is a temp file with the service's
 * own pragmas; InfluxDB is a real local influxd (1.6.7 on Debian), so the figure includes HTTP.
 */
const TOTAL = 50_000;
const BATCH = 500;

function readings(): Reading[] {
  const t0 = Date.UTC(2025, 5, 1);
  return Array.from({ length: TOTAL }, (_, i) => ({
    communeId: 'xa-an-binh',
    deviceId: `sensor-${String(i % 100).padStart(3, '0')}`,
    metric: i % 2 ? 'soilMoisturePct' : 'latencyMs',
    ts: t0 + Math.floor(i / 100) * 1000,
    value: (i % 997) / 10,
  }));
}

async function run(label: string, store: Store, rows: readonly Reading[]): Promise<string> {
  await store.start();
  const started = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) await store.write(rows.slice(i, i + BATCH));
  const ms = performance.now() - started;
  const back = await store.query({ fromTs: 0, toTs: Number.MAX_SAFE_INTEGER, limit: TOTAL + 1 });
  await store.close();
  if (back.length !== rows.length)
    throw new Error(`${label}: wrote ${rows.length}, read back ${back.length}`);
  const perSec = Math.round(rows.length / (ms / 1000));
  return `${label}: ${rows.length} points in batches of ${BATCH}: ${ms.toFixed(0)} ms, ${perSec.toLocaleString('en-US')} points/s`;
}

export async function benchStores(): Promise<string[]> {
  const rows = readings();
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-bench-'));
  try {
    lines.push(await run('sqlite', new SqliteStore({ file: join(dir, 'readings.sqlite') }), rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(lines.at(-1));
  const influxd = await startInfluxd();
  try {
    lines.push(
      await run(
        'influxdb',
        new InfluxStore({ url: influxd.url, database: 'bench' }, { log: createLogger({ level: 'warn' }) }),
        rows,
      ),
    );
  } finally {
    await influxd.stop();
  }
  console.log(lines.at(-1));
  return lines;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchStores();
}
