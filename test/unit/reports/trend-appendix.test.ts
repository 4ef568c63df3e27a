import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import { periodContaining } from '../../../services/kpi/periods.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { reportFormats } from '../../../services/reports/formats/registry.ts';
import { axisRange, vnDateTime } from '../../../services/reports/pdf-draw.ts';
import { computeReport, verifyFile } from '../../../services/reports/produce.ts';
import { contentHashOf } from '../../../services/reports/report.ts';
import { openDb } from '../../../services/store/db.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const H = 3_600_000;
const MARCH = periodContaining('month', Date.parse('2026-03-15T12:00:00+07:00'));
const JAN = periodContaining('month', Date.parse('2026-01-15T12:00:00+07:00'));
const NOW = MARCH.toTs + 5 * H;
const dir = mkdtempSync(join(tmpdir(), 'cx-report-trend-'));
afterAll(() => (process.env.CX_KEEP ? undefined : rmSync(dir, { recursive: true, force: true })));

const commune = buildCommune({
  id: 'xa-thu',
  name: 'Xã Thử Nghiệm',
  hamlets: [
    { id: 'ap-1', name: 'Ấp Phước Lộc' },
    { id: 'ap-2', name: 'Ấp Đồng Tâm' },
  ],
  sites: [
    { id: 'nvh-1', name: 'Nhà văn hóa', kind: 'cultural-house', hamlet: 'ap-1', uplink: 'net-1' },
    { id: 'nga-ba', name: 'Ngã ba chợ', kind: 'key-point', hamlet: 'ap-2', uplink: 'net-1' },
  ],
  devices: [
    { id: 'net-1', type: 'uplink', name: 'Đường truyền VNPT', site: 'nvh-1', installedAt: '2025-06-01' },
    { id: 'net-2', type: 'uplink', name: 'Đường truyền Viettel', site: 'nga-ba', installedAt: '2025-06-01' },
    { id: 'cam-1', type: 'camera', name: 'Camera ngã ba chợ', site: 'nga-ba', installedAt: '2025-06-01' },
  ],
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
        id: 'k-cam',
        name: 'Camera',
        indicator: 'uptime',
        params: { deviceType: 'camera' },
        target: 98,
        period: 'month',
      },
    ],
  },
});

/** The commune's history into a fresh SQLite file, in time order; `lateJan` adds a January outage. */
function history(name: string, lateJan: boolean) {
  const db = openDb(join(dir, name));
  const log = new IntervalLog(db);
  const moves: Array<[string, 'up' | 'down', number]> = [
    ...['net-1', 'net-2', 'cam-1'].map(
      (id) => [id, 'up', Date.parse('2025-11-01T00:00:00+07:00')] as [string, 'up', number],
    ),
    // January: the VNPT line down 10 h; March: down 2 h and 30 min, Viettel 1 h; the camera down 4 h.
    ['net-1', 'down', JAN.fromTs + 100 * H],
    ['net-1', 'up', JAN.fromTs + 110 * H],
    ...(lateJan
      ? ([
          ['net-1', 'down', JAN.fromTs + 200 * H],
          ['net-1', 'up', JAN.fromTs + 201 * H],
        ] as Array<[string, 'up' | 'down', number]>)
      : []),
    ['net-1', 'down', MARCH.fromTs + 50 * H + 17 * 60_000],
    ['net-1', 'up', MARCH.fromTs + 52 * H + 17 * 60_000],
    ['cam-1', 'down', MARCH.fromTs + 200 * H],
    ['cam-1', 'up', MARCH.fromTs + 204 * H],
    ['net-1', 'down', MARCH.fromTs + 300 * H],
    ['net-1', 'up', MARCH.fromTs + 300.5 * H],
    ['net-2', 'down', MARCH.fromTs + 400 * H],
    ['net-2', 'up', MARCH.fromTs + 401 * H],
  ];
  for (const [deviceId, state, ts] of moves)
    log.transition({
      deviceId,
      communeId: 'xa-thu',
      state,
      reason: 'heartbeat',
      params: {},
      ts,
      lastHeardTs: null,
    });
  return new SqliteReadModel({
    db,
    store: { queryRollup: () => Promise.reject(new Error('unused')) },
    clock: () => NOW,
  });
}
const model = history('canhxa.sqlite', false);
const doc = computeReport(commune, model, MARCH, NOW, { scheduleId: null, dueDate: null });

describe('report trend and evidence appendix', () => {
  it('trend: 12 months per target ending with the report month; each month is what that month counts', () => {
    const net = doc.trend!.find((s) => s.targetId === 'k-net')!;
    expect(net.points.map((p) => p.label)).toEqual([
      '04/2025',
      '05/2025',
      '06/2025',
      '07/2025',
      '08/2025',
      '09/2025',
      '10/2025',
      '11/2025',
      '12/2025',
      '01/2026',
      '02/2026',
      '03/2026',
    ]);
    expect(net.points.at(-1)!.value).toBe(doc.figures.find((f) => f.targetId === 'k-net')!.value);
    const jan = computeReport(commune, model, JAN, NOW, { scheduleId: null, dueDate: null });
    expect(net.points[9]!.value).toBe(jan.figures.find((f) => f.targetId === 'k-net')!.value);
    expect(net.points[9]!.value).toBeCloseTo(100 - (100 * 10) / (2 * 31 * 24), 2);
    // Before any evidence (Oct 2025 and earlier) nothing was judged: no point, not 0 %.
    expect(net.points[6]!.value).toBeNull();
    expect(net.points[10]!.value).toBe(100);
  });

  it('appendix: the longest outages first with device, hamlet and times; a camera counted, never named', () => {
    const net = doc.appendix!.find((e) => e.targetId === 'k-net')!;
    expect(net.outages).toBe(3);
    expect(net.longest.map((o) => [o.device, o.hamlet, o.countedMin])).toEqual([
      ['Đường truyền VNPT', 'Ấp Phước Lộc', 120],
      ['Đường truyền Viettel', 'Ấp Đồng Tâm', 60],
      ['Đường truyền VNPT', 'Ấp Phước Lộc', 30],
    ]);
    expect(vnDateTime(net.longest[0]!.startTs)).toBe('03/03/2026 02:17');
    const cam = doc.appendix!.find((e) => e.targetId === 'k-cam')!;
    expect(cam).toMatchObject({ outages: 1, hiddenSensitive: 1, longest: [] });
    expect(JSON.stringify(doc)).not.toContain('Camera ngã ba chợ');
    expect(JSON.stringify(doc.appendix)).not.toContain('cam-1');
  });

  it('an on-demand period off the month edges gets its trend too', () => {
    const p = { fromTs: MARCH.fromTs + 10 * 24 * H, toTs: MARCH.fromTs + 20 * 24 * H };
    const d = computeReport(commune, model, p, NOW, { scheduleId: null, dueDate: null });
    expect(d.trend![0]!.points.at(-1)!.label).toBe('03/2026');
  });

  it('the content hash covers the trend and the appendix', () => {
    const edited = structuredClone(doc) as unknown as {
      trend: Array<{ points: Array<{ value: number | null }> }>;
    };
    edited.trend[0]!.points[9]!.value = 100;
    expect(contentHashOf(edited as never)).not.toBe(doc.contentHash);
  });

  it('PDF: the chart with Vietnamese numbers and the appendix with Vietnam times; page 2 renders', async () => {
    const bytes = await reportFormats.get('pdf')!.render(doc, 'vi');
    const file = join(dir, 'bao-cao.pdf');
    writeFileSync(file, bytes);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).normalize('NFC');
    for (const s of [
      'Diễn biến theo tháng (12 tháng gần nhất)',
      'PHỤ LỤC',
      'Đường truyền Viettel',
      '03/03/2026 02:17',
      '99,5',
      'Mục tiêu ≥ 99,00 %',
    ])
      expect(text, s).toContain(s);
    expect(text).not.toContain('Camera ngã ba chợ');
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '2', '-l', '2', file, join(dir, 'trend')]);
    expect(readFileSync(join(dir, 'trend-2.png')).subarray(1, 4).toString()).toBe('PNG');
    const v = await verifyFile(bytes, 'pdf', new Map([['xa-thu', commune]]), model);
    expect(v).toMatchObject({ same: true, differences: [] });
  });

  it('late data in an earlier month: verification names the trend month that differs', async () => {
    const bytes = await reportFormats.get('xlsx')!.render(doc, 'vi');
    // The store as it is once a January outage has arrived late (a gateway's replay).
    const v = await verifyFile(bytes, 'xlsx', new Map([['xa-thu', commune]]), history('late.sqlite', true));
    expect(v.same).toBe(false);
    expect(v.tampered).toBe(false);
    // March's own figures and evidence are unchanged; the January point is what moved.
    expect(v.evidenceChanged).toEqual([]);
    expect(v.differences).toEqual([
      expect.objectContaining({
        targetId: 'k-net',
        field: 'trend',
        inFile: expect.stringMatching(/^01\/2026: /),
      }),
    ]);
  });

  it('axis ranges are round and a percentage stays within 0–100', () => {
    expect(axisRange([99.2, 99.9, 99], 'pct')).toEqual({ lo: 99, hi: 100, step: 0.25 });
    expect(axisRange([0, 100, 95], 'pct')).toMatchObject({ lo: 0, hi: 100 });
    expect(axisRange([180, 240], 'minutes')).toEqual({ lo: 180, hi: 240, step: 20 });
  });
});
