import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { countedUpTo } from '../kpi/periods.ts';
import { SqliteReadModel } from '../read-model/sqlite-read-model.ts';
import { ReportArchive } from '../reports/archive.ts';
import { parsePeriodKey } from '../reports/period-key.ts';
import { computeReport, formatOfFile, produceReport, verifyFile } from '../reports/produce.ts';
import { type ReportSourceDeps, reportSources } from '../reports/sources.ts';
import { trendCacheOf } from '../reports/trend-cache.ts';
import { rootLogger } from '../shared/logger.ts';
import { openServiceDb } from '../store/db.ts';
import { createStore } from '../store/registry.ts';
import { loadConfigOrExit } from './process.ts';

/**
 * `npm run report -- verify FILE` recomputes a report file's figures from the store and says
 * "same" (exit 0) or which figure differs and why (exit 2). `make --commune ID --period 2026-03`
 * makes and archives a report now. Works while the service runs (same SQLite file, WAL).
 */
const USAGE = `Usage:
  npm run report -- verify FILE [--config FILE]
  npm run report -- make --commune ID --period 2026-03|2026-q1|2026 [--formats pdf,xlsx,csv] [--config FILE]
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(1);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    config: { type: 'string', default: 'config/canhxa.yaml' },
    commune: { type: 'string' },
    period: { type: 'string' },
    formats: { type: 'string', default: 'pdf,xlsx,csv' },
  },
});

const config = loadConfigOrExit(values.config!, 'npm run report');
const db = openServiceDb(config);
// The farm sensors' uplinks (farm-completeness) are readings of the time-series store.
const store = createStore({
  config: config.service.store,
  dataDir: config.paths.dataDir,
  db,
  log: rootLogger.child({ mod: 'report-cli' }),
});
await store.start();
const readModel = new SqliteReadModel({ db, store, clock: Date.now });
const sources: ReportSourceDeps = {
  store,
  rawDays: config.service.retention.rawDays,
  clock: Date.now,
  trendCache: trendCacheOf(db),
};
const communes = new Map(config.communes.map((c) => [c.commune.id, c]));
const archive = new ReportArchive(join(config.paths.dataDir, 'reports'));

try {
  switch (positionals[0]) {
    case 'verify': {
      const file = positionals[1] ?? fail('verify needs a FILE.');
      const bytes = readFileSync(file);
      const v = await verifyFile(bytes, formatOfFile(file), communes, readModel, sources);
      const archived = archive.byBytes([...communes.keys()], bytes);
      const out = [
        v.same ? `SAME: ${file} matches the store (hash ${v.statedHash}).` : `DIFFERS: ${file}`,
        archived ? `Archived as ${archived.file}.` : 'Not byte-identical to any archived report.',
        ...(v.tampered ? ['The embedded report does not match its own hash: the file was altered.'] : []),
        ...v.differences.map(
          (d) =>
            `  ${d.targetId} (${d.name}) ${d.field}: in file ${JSON.stringify(d.inFile)}, recomputed ${JSON.stringify(d.recomputed)}`,
        ),
        ...(v.evidenceChanged.length
          ? [
              `Evidence changed since the report (data arrived late or was corrected) for: ${v.evidenceChanged.join(', ')}`,
            ]
          : []),
        ...(v.settingsChanged
          ? ['Settings behind the figures (inventory, targets, service hours) changed since.']
          : []),
      ];
      process.stdout.write(`${out.join('\n')}\n`);
      process.exitCode = v.same ? 0 : 2;
      break;
    }
    case 'make': {
      const c =
        communes.get(values.commune ?? '') ??
        fail(`--commune must be one of ${[...communes.keys()].join(', ')}.`);
      const p = parsePeriodKey(values.period ?? '') ?? fail('--period must be 2026-03, 2026-q1 or 2026.');
      const nowTs = countedUpTo(p, Date.now());
      const doc = computeReport(
        c,
        readModel,
        p,
        nowTs,
        { scheduleId: null, dueDate: null },
        await reportSources(sources, c, p, nowTs),
      );
      const cards = await produceReport({ archive, clock: Date.now }, doc, (values.formats ?? '').split(','));
      for (const card of cards)
        process.stdout.write(`${join(config.paths.dataDir, 'reports', card.communeId, card.file)}\n`);
      break;
    }
    default:
      fail(positionals[0] ? `Unknown command "${positionals[0]}".` : 'Give a command.');
  }
} finally {
  await store.close();
  db.close();
}
