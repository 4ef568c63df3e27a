/**
 * One report of the report bench (reports.ts) in a process of its own, so that its peak RSS is
 * its own: `report-worker.ts FILE month|year FORMAT [cold]`. The trend cache (kpi_month_cache) is
 * the file's own, as in the service; `cold` empties it first. Prints one JSON line.
 */
import { periodContaining } from '../../services/kpi/periods.ts';
import { SqliteReadModel } from '../../services/read-model/sqlite-read-model.ts';
import { reportFormats } from '../../services/reports/formats/registry.ts';
import { computeReport } from '../../services/reports/produce.ts';
import { SqliteTrendCache } from '../../services/reports/trend-cache.ts';
import { openDb } from '../../services/store/db.ts';
import { benchCommune, YEAR_TO } from './reports.ts';

const [file, kind, format, cache] = process.argv.slice(2) as [string, 'month' | 'year', string, string?];
const c = benchCommune();
const nowTs = YEAR_TO + 3_600_000;
const db = openDb(file);
const model = new SqliteReadModel({
  db,
  store: { queryRollup: () => Promise.reject(new Error('unused')) },
  clock: () => nowTs,
});
const trendCache = new SqliteTrendCache(db);
if (cache === 'cold') db.exec('DELETE FROM kpi_month_cache');
const period = periodContaining(kind, YEAR_TO - 1);
const fmt = reportFormats.get(format)!;
const baseRssKB = Math.round(process.memoryUsage().rss / 1024);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const doc = computeReport(c, model, period, nowTs, { scheduleId: null, dueDate: null }, { trendCache });
const t1 = performance.now();
const cpu1 = process.cpuUsage(cpu0);
const bytes = await fmt.render(doc, 'vi');
const t2 = performance.now();
const cpu2 = process.cpuUsage(cpu0);
db.close();
console.log(
  JSON.stringify({
    computeMs: t1 - t0,
    renderMs: t2 - t1,
    // CPU time says what a report costs whatever else the machine runs (wall time includes the wait).
    computeCpuMs: (cpu1.user + cpu1.system) / 1000,
    renderCpuMs: (cpu2.user + cpu2.system - cpu1.user - cpu1.system) / 1000,
    bytes: bytes.length,
    baseRssKB,
    maxRssKB: process.resourceUsage().maxRSS,
  }),
);
