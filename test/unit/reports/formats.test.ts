import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { IntervalLog } from '../../../services/availability/interval-log.ts';
import { periodContaining } from '../../../services/kpi/periods.ts';
import { SqliteReadModel } from '../../../services/read-model/sqlite-read-model.ts';
import { ReportArchive } from '../../../services/reports/archive.ts';
import { parseCsv } from '../../../services/reports/formats/csv.ts';
import { findDejaVu } from '../../../services/reports/formats/pdf.ts';
import { reportFormats } from '../../../services/reports/formats/registry.ts';
import { computeReport, produceReport, verifyFile } from '../../../services/reports/produce.ts';
import { openDb } from '../../../services/store/db.ts';
import { buildCommune } from '../../fixtures/mini-commune.ts';

const H = 3_600_000;
const MARCH = periodContaining('month', Date.parse('2026-03-15T12:00:00+07:00'));
const dir = mkdtempSync(join(tmpdir(), 'cx-report-'));
afterAll(() => (process.env.CX_KEEP ? undefined : rmSync(dir, { recursive: true, force: true })));

const commune = buildCommune({
  id: 'xa-thu',
  name: 'Xã Thử Nghiệm',
  hamlets: [
    { id: 'ap-1', name: 'Ấp Phước Lộc', population: 1500 },
    { id: 'ap-2', name: 'Ấp Đồng Tâm', population: 900 },
  ] as never,
  sites: [
    {
      id: 'nvh-1',
      name: 'Nhà văn hóa ấp Phước Lộc',
      kind: 'cultural-house',
      hamlet: 'ap-1',
      uplink: 'net-1',
    },
    { id: 'cong-xa', name: 'Cổng UBND', kind: 'key-point', hamlet: 'ap-2', uplink: 'net-1' },
  ],
  devices: [
    { id: 'net-1', type: 'uplink', name: 'Đường truyền VNPT', site: 'nvh-1', contractor: 'VNPT Đồng Nai' },
    { id: 'loa-1', type: 'loudspeaker', name: 'Loa ấp Phước Lộc', site: 'nvh-1' },
    { id: 'wifi-1', type: 'wifi-ap', name: 'Wi-Fi nhà văn hóa', site: 'nvh-1' },
    { id: 'cam-1', type: 'camera', name: 'Camera cổng UBND', site: 'cong-xa' },
  ],
  extra: {
    kpi: {
      place: 'Thử Nghiệm',
      signerName: 'Nguyễn Văn Thử',
      serviceHours: { 'wifi-ap': [{ from: '06:00', to: '22:00' }] },
    },
    kpiTargets: [
      {
        id: 'k-cam',
        name: 'Tỷ lệ hoạt động của camera an ninh',
        indicator: 'uptime',
        params: { deviceType: 'camera' },
        target: 98,
        period: 'month',
        planRef: 'Phụ lục II.1.1',
      },
      {
        id: 'k-net',
        name: 'Tỷ lệ hoạt động đường truyền',
        indicator: 'uptime',
        params: { deviceType: 'uplink' },
        target: 99,
        period: 'month',
      },
      {
        id: 'k-loa',
        name: 'Tỷ lệ ấp có loa truyền thanh hoạt động',
        indicator: 'hamlet-coverage',
        params: { minPct: 95 },
        target: 100,
        period: 'month',
      },
      {
        id: 'k-mttr',
        name: 'Thời gian khắc phục trung bình',
        indicator: 'mttr',
        params: { deviceType: 'uplink' },
        target: 240,
        period: 'month',
      },
    ],
  },
});

const db = openDb(join(dir, 'canhxa.sqlite'));
const log = new IntervalLog(db);
const at = (id: string, state: 'up' | 'down' | 'unreachable' | 'maintenance', ts: number, params = {}) =>
  log.transition({
    deviceId: id,
    communeId: 'xa-thu',
    state,
    reason: 'heartbeat',
    params,
    ts,
    lastHeardTs: null,
  });
for (const id of ['net-1', 'loa-1', 'wifi-1', 'cam-1']) at(id, 'up', MARCH.fromTs - 24 * H);
at('net-1', 'down', MARCH.fromTs + 50 * H);
at('cam-1', 'unreachable', MARCH.fromTs + 50 * H, { deviceId: 'net-1' });
at('net-1', 'up', MARCH.fromTs + 53 * H);
at('cam-1', 'up', MARCH.fromTs + 53 * H);
at('cam-1', 'maintenance', MARCH.fromTs + 100 * H);
at('cam-1', 'up', MARCH.fromTs + 104 * H);
const NOW = MARCH.toTs + 5 * H;
const model = new SqliteReadModel({
  db,
  store: { queryRollup: () => Promise.reject(new Error('unused')) },
  clock: () => NOW,
});
const communes = new Map([['xa-thu', commune]]);
const doc = computeReport(commune, model, MARCH, NOW, { scheduleId: 'bc-thang', dueDate: '2026-04-25' });
const archive = new ReportArchive(join(dir, 'reports'));

describe('reports: rendered, parsed back and verified', () => {
  it('computes the figures the files must carry (camera 3 h unreachable, maintenance apart)', () => {
    const cam = doc.figures.find((f) => f.targetId === 'k-cam')!;
    const hours = 31 * 24 - 4;
    expect(cam.value).toBeCloseTo((100 * (hours - 3)) / hours, 2);
    expect(cam.basis).toMatchObject({ unreachableMs: 3 * H, maintenanceMs: 4 * H });
    // The camera's own row never leaves the commune's data: aggregates only.
    expect(cam.rows).toEqual([]);
    expect(doc.figures.find((f) => f.targetId === 'k-mttr')!.value).toBe(180);
  });

  it('CSV: UTF-8 with BOM, Vietnamese intact, figures as computed', async () => {
    const bytes = await reportFormats.get('csv')!.render(doc, 'vi');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(bytes.toString('utf8').slice(1));
    const kpis = rows.filter((r) => r[0] === 'kpi');
    expect(kpis.map((r) => [r[1], r[6] === '' ? null : Number(r[6])])).toEqual(
      doc.figures.map((f) => [f.targetId, f.value]),
    );
    expect(kpis[0]![3]).toBe('Tỷ lệ hoạt động của camera an ninh');
    expect(bytes.toString('utf8')).not.toContain('Camera cổng UBND');
  });

  it('XLSX: real sheets, a status formula a clerk can edit, figures as computed', async () => {
    const bytes = await reportFormats.get('xlsx')!.render(doc, 'vi');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Chỉ tiêu')!;
    doc.figures.forEach((f, i) => {
      const r = ws.getRow(i + 3);
      expect(r.getCell(1).value).toBe(f.targetId);
      expect(r.getCell(6).value).toBe(f.value);
      expect((r.getCell(7).value as { formula: string }).formula).toMatch(/^IF\(F\d+="",/);
    });
    expect(wb.getWorksheet('canhxa')!.state).toBe('hidden');
  });

  it('PDF: administrative layout with correct Vietnamese, text extracted by pdftotext', async () => {
    const bytes = await reportFormats.get('pdf')!.render(doc, 'vi');
    const file = join(dir, 'bao-cao.pdf');
    writeFileSync(file, bytes);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).normalize('NFC');
    for (const s of [
      'ỦY BAN NHÂN DÂN',
      'XÃ THỬ NGHIỆM',
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Độc lập - Tự do - Hạnh phúc',
      '/BC-UBND',
      'Thử Nghiệm, ngày 01 tháng 04 năm 2026',
      'Kết quả các chỉ tiêu hạ tầng số, IoT kỳ 03/2026',
      'TM. ỦY BAN NHÂN DÂN',
      'Nguyễn Văn Thử',
      'Quy tắc tính số liệu',
    ])
      expect(text, s).toContain(s);
    expect(text).toContain('180 phút');
    expect(text).not.toContain('Camera cổng UBND');
    execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', file, join(dir, 'page')]);
    expect(readFileSync(join(dir, 'page-1.png')).subarray(1, 4).toString()).toBe('PNG');
  });

  it('a PDF made before its report was deflated (CanhXaReport, base64 JSON) still gives its report back', async () => {
    const fmt = reportFormats.get('pdf')!;
    const raw = (await fmt.render(doc, 'vi')).toString('latin1');
    const id = raw.match(/\/CanhXaReportZ (\d+) 0 R/)![1]!;
    const plain = Buffer.from(JSON.stringify(doc)).toString('base64');
    const old = raw
      .replace(`/CanhXaReportZ ${id} 0 R`, `/CanhXaReport ${id} 0 R`)
      .replace(new RegExp(`\n${id} 0 obj\\s*\\([A-Za-z0-9+/=]+\\)`), `\n${id} 0 obj\n(${plain})`);
    expect(old).not.toContain('CanhXaReportZ');
    expect((await fmt.extract(Buffer.from(old, 'latin1'))).doc).toEqual(doc);
  });

  it('a PDF whose embedded report is damaged is a clear error, not a zlib one', async () => {
    const fmt = reportFormats.get('pdf')!;
    const raw = (await fmt.render(doc, 'vi')).toString('latin1');
    const id = raw.match(/\/CanhXaReportZ (\d+) 0 R/)![1]!;
    const damaged = raw.replace(
      new RegExp(`\n${id} 0 obj\\s*\\([A-Za-z0-9+/=]+\\)`),
      `\n${id} 0 obj\n(AAAAAAAA)`,
    );
    await expect(fmt.extract(Buffer.from(damaged, 'latin1'))).rejects.toThrow(
      /embedded in this PDF \(CanhXaReportZ\) is damaged .*download the file again/,
    );
  });

  it('a missing DejaVu font is a clear error naming the fix', () => {
    expect(() => findDejaVu(['/nonexistent'])).toThrow(/apt-get install fonts-dejavu-core/);
  });

  it('each archived file verifies as the same; a tampered one names the figure that differs', async () => {
    const cards = await produceReport({ archive, clock: () => NOW }, doc, ['pdf', 'xlsx', 'csv']);
    expect(
      archive
        .list(['xa-thu'])
        .map((c) => c.format)
        .sort(),
    ).toEqual(['csv', 'pdf', 'xlsx']);
    for (const card of cards) {
      const v = await verifyFile(archive.read(card), card.format, communes, model);
      expect(v, card.format).toMatchObject({
        same: true,
        tampered: false,
        differences: [],
        evidenceChanged: [],
      });
    }
    // A clerk "improves" the camera figure in the CSV.
    const csvCard = cards.find((c) => c.format === 'csv')!;
    const text = archive.read(csvCard).toString('utf8');
    const cam = doc.figures.find((f) => f.targetId === 'k-cam')!;
    const edited = Buffer.from(text.replace(`,${cam.value},`, ',99.9,'), 'utf8');
    const v = await verifyFile(edited, 'csv', communes, model);
    expect(v.same).toBe(false);
    expect(v.differences).toContainEqual(
      expect.objectContaining({ targetId: 'k-cam', field: 'value', inFile: 99.9, recomputed: cam.value }),
    );
    // XLSX: the value cell edited.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(archive.read(cards.find((c) => c.format === 'xlsx')!) as unknown as ArrayBuffer);
    wb.getWorksheet('Chỉ tiêu')!.getRow(3).getCell(6).value = 100;
    const vx = await verifyFile(Buffer.from(await wb.xlsx.writeBuffer()), 'xlsx', communes, model);
    expect(vx.differences).toContainEqual(
      expect.objectContaining({ targetId: 'k-cam', field: 'shown', inFile: 100 }),
    );
  });

  it('late data: verification names the figure and the device whose evidence changed', async () => {
    const card = archive.list(['xa-thu']).find((c) => c.format === 'pdf')!;
    // An outage of the line reaches the store after the report was made.
    at('net-1', 'down', MARCH.fromTs + 200 * H);
    at('net-1', 'up', MARCH.fromTs + 201 * H);
    const v = await verifyFile(archive.read(card), 'pdf', communes, model);
    expect(v.same).toBe(false);
    expect(v.tampered).toBe(false);
    expect(v.evidenceChanged).toEqual(['net-1']);
    expect(v.differences.map((d) => `${d.targetId}.${d.field}`)).toContain('k-net.value');
  });
});
