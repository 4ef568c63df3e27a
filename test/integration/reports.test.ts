import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import { previousPeriod } from '../../services/kpi/periods.ts';
import { parseCsv } from '../../services/reports/formats/csv.ts';
import { periodKey } from '../../services/reports/period-key.ts';
import { login, PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const H = 3_600_000;
let app: TestApp;
let leader: string;
const last = previousPeriod('month', Date.now());
const key = periodKey('month', last.fromTs);

beforeAll(async () => {
  app = await startTestApp();
  leader = await login(app, 'lanhdao.talai', app.userPasswords.get('lanhdao.talai')!);
  // Last month's evidence, written as the availability engine writes it: a line down 5 h, a
  // camera behind it unreachable, loudspeakers up.
  const log = new IntervalLog(app.db);
  const at = (deviceId: string, state: 'up' | 'down' | 'unreachable', ts: number, params = {}) =>
    log.transition({
      deviceId,
      communeId: 'ta-lai',
      state,
      reason: 'heartbeat',
      params,
      ts,
      lastHeardTs: null,
    });
  for (const d of app.directory.all()) if (d.communeId === 'ta-lai') at(d.id, 'up', last.fromTs - H);
  at('tl-net-ubnd', 'down', last.fromTs + 30 * H);
  at('tl-net-ubnd', 'up', last.fromTs + 35 * H);
  for (const d of app.directory.all()) if (d.communeId === 'ta-lai') at(d.id, 'up', last.toTs + H);
}, 120_000);
afterAll(() => app?.stop());

const get = (path: string, cookie = leader) => fetch(`${app.apiUrl}${path}`, { headers: { cookie } });

describe('reports through the API and the CLI', () => {
  it('a leader downloads the CSV whose figures equal /api/kpis, and it verifies as the same', async () => {
    const kpis = (await (await get(`/api/kpis?period=${key}&commune=ta-lai`)).json()) as Array<{
      figures: Array<{ targetId: string; value: number | null; status: string }>;
    }>;
    const res = await get(`/api/reports/ta-lai/${key}?format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = parseCsv((await res.text()).replace(/^\uFEFF/, '')).filter((r) => r[0] === 'kpi');
    expect(rows.map((r) => [r[1], r[6] === '' ? null : Number(r[6])])).toEqual(
      kpis[0]!.figures.map((f) => [f.targetId, f.value]),
    );
    const uplink = kpis[0]!.figures.find((f) => f.targetId === 'tl-kpi-uplink-uptime')!;
    expect(uplink.value).toBeLessThan(100);
    const v = await (await get(`/api/reports/ta-lai/${key}/verify?format=csv`)).json();
    expect(v).toMatchObject({ same: true, differences: [] });
    const list = (await (await get('/api/reports')).json()) as Array<{ format: string; periodLabel: string }>;
    expect(list.some((r) => r.format === 'csv')).toBe(true);
  });

  it('the province sees aggregates only, never a camera', async () => {
    const province = await login(app, PROVINCE_USER, app.userPasswords.get(PROVINCE_USER)!);
    const body = await (await get(`/api/kpis?period=${key}`, province)).text();
    expect(body).not.toContain('tl-cam-');
    expect(
      JSON.parse(body).every((c: { figures: Array<{ rows: unknown[] }> }) =>
        c.figures.every((f) => f.rows.length === 0),
      ),
    ).toBe(true);
  });

  it('npm run report -- verify: same for the archived file, the figure named for a tampered copy', async () => {
    const list = (await (await get('/api/reports')).json()) as Array<{
      file: string;
      communeId: string;
      format: string;
    }>;
    const card = list.find((r) => r.format === 'csv')!;
    const file = join(app.dataDir, 'reports', card.communeId, card.file);
    const cli = (f: string) =>
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          join(ROOT, 'services/cli/report.ts'),
          'verify',
          f,
          '--config',
          join(app.dataDir, 'canhxa.yaml'),
        ],
        {
          cwd: ROOT,
          env: { ...process.env, CANHXA_LOG_LEVEL: 'silent' },
        },
      );
    const ok = await cli(file);
    expect(ok.stdout).toMatch(/^SAME: /);
    const text = readFileSync(file, 'utf8');
    const row = parseCsv(text.replace(/^\uFEFF/, '')).find(
      (r) => r[0] === 'kpi' && r[1] === 'tl-kpi-uplink-uptime',
    )!;
    const tampered = join(app.dataDir, 'tampered.csv');
    writeFileSync(tampered, text.replace(`,${row[6]},`, ',100,'));
    const bad = await cli(tampered).then(
      () => null,
      (err: { code: number; stdout: string }) => err,
    );
    expect(bad?.code).toBe(2);
    expect(bad?.stdout).toContain('tl-kpi-uplink-uptime');
    expect(bad?.stdout).toContain(`in file 100, recomputed ${row[6]}`);
  }, 150_000);
});
