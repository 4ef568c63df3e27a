import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../services/availability/interval-log.ts';
import { previousPeriod } from '../../services/kpi/periods.ts';
import { parseCsv } from '../../services/reports/formats/csv.ts';
import { periodKey } from '../../services/reports/period-key.ts';
import type { Reading } from '../../services/store/store.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

const run = promisify(execFile);
const H = 3_600_000;
const DAY = 24 * H;
const last = previousPeriod('month', Date.now());
const key = periodKey('month', last.fromTs);
const dir = mkdtempSync(join(tmpdir(), 'cx-report-farm-'));
let app: TestApp;
let leader: string;

/** A commune with a pilot farm: two soil sensors (one uplink every 30 min, the type's heartbeat) and a completeness target. */
const doc = communeDoc({
  id: 'xa-nong',
  name: 'Xã Nông Thử',
  hamlets: [{ id: 'ap-1', name: 'Ấp Phước Lộc' }],
  sites: [
    { id: 'ubnd', name: 'UBND xã', kind: 'ubnd', hamlet: 'ap-1' },
    { id: 'vuon', name: 'Vườn thí điểm', kind: 'farm', hamlet: 'ap-1' },
  ],
  devices: [
    { id: 'net-1', type: 'uplink', name: 'Đường truyền UBND', site: 'ubnd', installedAt: '2025-01-01' },
    { id: 'gw-1', type: 'gateway', name: 'Gateway LoRa', site: 'vuon', installedAt: '2025-01-01' },
    ...['dat-1', 'dat-2'].map((id, i) => ({
      id,
      type: 'soil-sensor',
      name: `Cảm biến đất ${i + 1}`,
      site: 'vuon',
      installedAt: '2025-01-01',
      behind: 'gw-1',
    })),
  ],
  users: [{ username: 'lanhdao.nong', name: 'Lãnh đạo xã', role: 'leader' }],
  extra: {
    kpiTargets: [
      {
        id: 'k-net',
        name: 'Đường truyền',
        indicator: 'uptime',
        params: { deviceType: 'uplink' },
        target: 99,
        period: 'month',
      },
      {
        id: 'k-farm',
        name: 'Mức đầy đủ dữ liệu nông nghiệp số',
        indicator: 'farm-completeness',
        params: {},
        target: 95,
        period: 'month',
      },
    ],
  },
});

/** One heartbeat reading per uplink heard, as ingest stores a LoRaWAN frame. */
const uplink = (deviceId: string, ts: number): Reading => ({
  communeId: 'xa-nong',
  deviceId,
  metric: 'heartbeat',
  ts,
  value: 1,
});

beforeAll(async () => {
  const communes = join(dir, 'communes');
  mkdirSync(communes);
  // JSON is YAML: the builder's document is the commune file as it is.
  writeFileSync(join(communes, 'xa-nong.yaml'), JSON.stringify(doc));
  app = await startTestApp({ communesDir: communes });
  leader = await login(app, 'lanhdao.nong', app.userPasswords.get('lanhdao.nong')!);
  const log = new IntervalLog(app.db);
  for (const id of ['net-1', 'gw-1', 'dat-1', 'dat-2'])
    log.transition({
      deviceId: id,
      communeId: 'xa-nong',
      state: 'up',
      reason: 'heartbeat',
      params: {},
      ts: last.fromTs - H,
      lastHeardTs: null,
    });
  // dat-1 sends every 30 min of last month; dat-2 is silent on its first five days.
  const readings: Reading[] = [];
  for (let ts = last.fromTs + 60_000; ts < last.toTs; ts += H / 2) {
    readings.push(uplink('dat-1', ts));
    if (ts >= last.fromTs + 5 * DAY) readings.push(uplink('dat-2', ts));
  }
  await app.store.write(readings);
  // What the retention job does each hour: the hours older than raw retention are read from these.
  await app.store.rollup(last.fromTs, last.toTs);
}, 240_000);
afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`${app.apiUrl}${path}`, { headers: { cookie: leader } });
const days = (last.toTs - last.fromTs) / DAY;
// 2 sensors × 48 uplinks a day, less dat-2's five silent days.
const expected = Math.round((10_000 * (2 * days - 5)) / (2 * days)) / 100;

describe('farm-pilot completeness inside reports', () => {
  it("the report's farm completeness equals /api/kpis, in the CSV, XLSX and PDF, and verifies as the same", async () => {
    const kpis = (await (await get(`/api/kpis?period=${key}&commune=xa-nong`)).json()) as Array<{
      figures: Array<{ targetId: string; value: number | null }>;
    }>;
    const farm = kpis[0]!.figures.find((f) => f.targetId === 'k-farm')!;
    expect(farm.value).toBe(expected);

    const csv = await (await get(`/api/reports/xa-nong/${key}?format=csv`)).text();
    const row = parseCsv(csv.replace(/^\uFEFF/, '')).find((r) => r[0] === 'kpi' && r[1] === 'k-farm')!;
    expect(Number(row[6])).toBe(expected);

    const pdf = Buffer.from(await (await get(`/api/reports/xa-nong/${key}?format=pdf`)).arrayBuffer());
    const pdfFile = join(dir, 'report.pdf');
    writeFileSync(pdfFile, pdf);
    const { stdout: text } = await run('pdftotext', ['-layout', pdfFile, '-']);
    const shown = new Intl.NumberFormat('vi-VN', { minimumFractionDigits: 2 }).format(expected);
    expect(text).toContain('Mức đầy đủ dữ liệu nông nghiệp số');
    expect(text).toContain(`${shown} %`);
    // The counts behind it, as the other figures have theirs.
    expect(text).toMatch(/nhận [\d.]+ trên [\d.]+ bản tin dự kiến của 2/);

    for (const format of ['pdf', 'xlsx', 'csv']) {
      const v = await (await get(`/api/reports/xa-nong/${key}/verify?format=${format}`)).json();
      expect(v, format).toMatchObject({ same: true, differences: [] });
    }
  });

  it("the leaders' trend and the IOC feed count farm completeness too", async () => {
    const trend = (await (await get('/api/kpis/trend?commune=xa-nong&months=2')).json()) as Array<{
      series: Array<{ targetId: string; points: Array<{ period: string; value: number | null }> }>;
    }>;
    const farm = trend[0]!.series.find((x) => x.targetId === 'k-farm')!;
    expect(farm.points.find((p) => p.period === key)?.value).toBe(expected);
    // The evidence behind it counts the same figure.
    const ev = (await (
      await get(`/api/kpis/k-farm/evidence?period=${key}&commune=xa-nong&scope=commune`)
    ).json()) as {
      figure: { value: number | null } | null;
    };
    expect(ev.figure?.value).toBe(expected);

    // The province's daily figures at the cut-off of the month's last day: the day and the month so far.
    const apiKey = app.apiKeys.create({ name: 'IOC', scopes: ['summaries'] }).key;
    const lastDay = new Date(last.toTs - DAY + 7 * H).toISOString().slice(0, 10);
    const ioc = (await (
      await fetch(`${app.apiUrl}/api/ioc/v1/kpis?day=${lastDay}&communeId=xa-nong`, {
        headers: { authorization: `Bearer ${apiKey}` },
      })
    ).json()) as {
      communes: Array<{
        kpis: Array<{
          targetId: string;
          day: { value: number | null };
          periodSoFar: { value: number | null };
        }>;
      }>;
    };
    const k = ioc.communes[0]!.kpis.find((x) => x.targetId === 'k-farm')!;
    // Both sensors sent every uplink that day; the month so far misses dat-2's five silent days.
    expect(k.day.value).toBe(100);
    expect(k.periodSoFar.value).toBeGreaterThan(80);
    expect(k.periodSoFar.value).toBeLessThan(100);
  });

  it('an uplink arriving late changes the evidence: verification names the sensor and the figure', async () => {
    // A gateway's spool replays a frame of dat-2's silent days (raw, then its hour's rollup).
    const late = last.fromTs + 2 * DAY + 30 * 60_000;
    await app.store.write([uplink('dat-2', late)]);
    await app.store.rollup(late - (late % H), late - (late % H) + H);
    const v = (await (await get(`/api/reports/xa-nong/${key}/verify?format=csv`)).json()) as {
      same: boolean;
      evidenceChanged: string[];
      differences: Array<{ targetId: string; field: string }>;
    };
    expect(v.same).toBe(false);
    expect(v.evidenceChanged).toEqual(['dat-2']);
    expect(v.differences).toContainEqual(expect.objectContaining({ targetId: 'k-farm', field: 'value' }));
  });
});
