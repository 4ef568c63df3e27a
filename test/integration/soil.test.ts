/**
 * The economics office's farm pilot through real parts: ChirpStack v4 events published by a network
 * server account into the embedded broker (mqtt.js), the SQLite store, GET /api/soil/plots and the
 * CSV and XLSX exports (parsed back: the CSV by hand, the XLSX with exceljs); then the service
 * restarts on the same data folder and a sensor's LoRaWAN link state is still there.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COMMUNE, EUI, em500, LSE01, topic, upEvent } from '../fixtures/soil-farm.ts';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';

const DAY = 86_400_000;
/** ChirpStack's times: whole seconds, so keys are exact. The newest uplink is a minute ago. */
const NOW = Math.floor(Date.now() / 1000) * 1000 - 60_000;

/** Polls `fn` until `ok` holds for its value (a state, never a fixed sleep). */
async function until<T>(fn: () => T | Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let tmp: string;
let dataDir: string;
let app: TestApp;
let passwords: ReadonlyMap<string, string>;
let ns: MqttClient;

/** Session cookies per user (scrypt makes a sign-in slow); signed in again after the restart. */
const cookies = new Map<string, string>();
async function get(path: string, username: string) {
  let cookie = cookies.get(username);
  if (!cookie) {
    cookie = await login(app, username, passwords.get(username)!);
    cookies.set(username, cookie);
  }
  return fetch(`${app.apiUrl}${path}`, { headers: { cookie } });
}

interface SensorJson {
  id: string;
  latest: Record<string, { value: number; ts: number }>;
  battery: { metric: string; slopePerDay: number; daysToEmpty: number | null } | null;
  link: { rssiDbm: number; lastFCnt: number; lostUplinksPct: number | null; fCntResets: number } | null;
  completeness: Array<{ day: string; received: number; expected: number; pct: number | null }>;
}
interface PlotJson {
  siteId: string;
  crop: { name: string } | null;
  dryBelowPct: number;
  moisturePct: number | null;
  status: string;
  sensors: SensorJson[];
  irrigations: Array<{
    deviceId: string;
    startedTs: number;
    durationMin: number | null;
    volumeL: number | null;
  }>;
}
async function plots(): Promise<PlotJson[]> {
  const res = await get('/api/soil/plots', 'kinhte.vuon');
  expect(res.status).toBe(200);
  return ((await res.json()) as { plots: PlotJson[] }).plots;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-soil-'));
  dataDir = join(tmp, 'data');
  mkdirSync(join(tmp, 'communes'));
  mkdirSync(dataDir);
  writeFileSync(join(tmp, 'communes', 'xa-vuon.yaml'), stringify(COMMUNE));
  app = await startTestApp({
    communesDir: join(tmp, 'communes'),
    dataDir,
    extra: 'ingest:\n  batchMaxDelayMs: 5',
  });
  passwords = app.userPasswords;
  ns = await connectDevice(app, 'gw');
  // Five days of the điều plot's sensor, one uplink every 6 h, its battery 3 % lower each day;
  // then the tiêu plot's sensor once, with Dragino's documented (dry) frame.
  for (let i = 0; i < 20; i++) {
    const ts = NOW - (19 - i) * 6 * 3_600_000;
    const bytes = em500(3000, Math.round(90 - 0.75 * i));
    await ns.publishAsync(
      topic(EUI.b),
      JSON.stringify(upEvent(EUI.b, { fCnt: i + 1, fPort: 85, bytes, ts })),
      { qos: 1 },
    );
  }
  await ns.publishAsync(
    topic(EUI.a),
    JSON.stringify(upEvent(EUI.a, { fCnt: 7, fPort: 2, bytes: LSE01, ts: NOW })),
    {
      qos: 1,
    },
  );
  await until(
    async () => (await app.store.query({ deviceId: 's-tieu', fromTs: NOW, toTs: NOW + 1 })).length,
    (n) => n >= 4,
  );
}, 60_000);

afterAll(async () => {
  await ns?.endAsync(true).catch(() => {});
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('GET /api/soil/plots', () => {
  it('marks the plot drier than its crop’s bound, driest first, with latest readings, battery trend and completeness', async () => {
    const list = await until(
      plots,
      (p) => p.find((x) => x.siteId === 'vuon-dieu')?.sensors[0]?.battery?.daysToEmpty != null,
    );
    expect(list.map((p) => [p.siteId, p.status])).toEqual([
      ['vuon-tieu', 'dry'],
      ['vuon-dieu', 'ok'],
    ]);
    const [tieu, dieu] = list as [PlotJson, PlotJson];
    expect(tieu.crop?.name).toBe('Hồ tiêu');
    expect(tieu.dryBelowPct).toBe(22);
    expect(tieu.moisturePct).toBe(19.6);
    const st = tieu.sensors[0]!;
    expect(st.latest.soilMoisturePct?.value).toBe(19.57);
    expect(st.latest.soilEcUsCm?.value).toBe(28200);
    expect(st.link).toMatchObject({ rssiDbm: -97, lastFCnt: 7, fCntResets: 0 });
    const sd = dieu.sensors[0]!;
    expect(sd.latest.soilMoisturePct?.value).toBe(30);
    // 0.75 % every 6 h is 3 % a day; the last reading is 76 %, so about 25 days.
    expect(sd.battery?.metric).toBe('batteryPct');
    // Whole percents: the fit is near, not exactly, -3.
    expect(sd.battery!.slopePerDay).toBeCloseTo(-3, 1);
    expect(sd.battery!.daysToEmpty).toBeGreaterThan(24);
    expect(sd.battery!.daysToEmpty).toBeLessThan(27);
    // 4 uplinks a day against a 10-minute model (144 a day), per local day; a full past day is 4/144.
    expect(sd.completeness).toHaveLength(7);
    const whole = sd.completeness.slice(0, -1);
    expect(whole.every((d) => d.expected === 144 && d.received <= 4)).toBe(true);
    expect(whole.filter((d) => d.received === 4 && d.pct === 2.8).length).toBeGreaterThanOrEqual(3);
    expect(sd.completeness.reduce((a, d) => a + d.received, 0)).toBe(20);
  });

  it('lists a plot’s irrigation runs reported as events, newest first, and none where nothing reports them', async () => {
    // The điều plot's sensor node drives its valve and reports each run on its own event topic.
    const node = await connectDevice(app, 's-dieu');
    try {
      for (const [hoursAgo, detail] of [
        [30, { durationMin: 20, volumeL: 150 }],
        [6, { durationMin: 15 }],
      ] as const)
        await node.publishAsync(
          'cx/v1/xa-vuon/s-dieu/event',
          JSON.stringify({ v: 1, ts: NOW - hoursAgo * 3_600_000, type: 'irrigation', detail }),
          { qos: 1 },
        );
    } finally {
      await node.endAsync(true);
    }
    const list = await until(
      plots,
      (p) => (p.find((x) => x.siteId === 'vuon-dieu')?.irrigations.length ?? 0) === 2,
    );
    expect(list.find((x) => x.siteId === 'vuon-dieu')!.irrigations).toEqual([
      { deviceId: 's-dieu', startedTs: NOW - 6 * 3_600_000, durationMin: 15, volumeL: null },
      { deviceId: 's-dieu', startedTs: NOW - 30 * 3_600_000, durationMin: 20, volumeL: 150 },
    ]);
    expect(list.find((x) => x.siteId === 'vuon-tieu')!.irrigations).toEqual([]);
  });

  it('refuses the police and the technicians (the farm pilot is the economics office’s)', async () => {
    for (const who of ['congan.vuon', 'kythuat.vuon']) {
      expect((await get('/api/soil/plots', who)).status).toBe(403);
      expect((await get('/api/soil/export?format=xlsx', who)).status).toBe(403);
    }
  });
});

describe('GET /api/soil/export', () => {
  const days = () => {
    const vn = (ts: number) => new Date(ts + 7 * 3_600_000).toISOString().slice(0, 10);
    return `from=${vn(NOW - 6 * DAY)}&to=${vn(NOW)}`;
  };

  it('gives a plot’s readings as CSV: UTF-8 with BOM, Vietnamese headers, ISO and Vietnam times, decimal commas', async () => {
    const res = await get(`/api/soil/export?format=csv&plot=vuon-tieu&${days()}`, 'kinhte.vuon');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="do-am-dat_vuon-tieu_/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = bytes
      .subarray(3)
      .toString('utf8')
      .trimEnd()
      .split('\r\n')
      .map((l) => l.split(';'));
    expect(rows[0]).toEqual([
      'Vườn',
      'Cảm biến',
      'Mã thiết bị',
      'Thời điểm (UTC, ISO 8601)',
      'Giờ Việt Nam',
      'Độ ẩm đất (%)',
      'Nhiệt độ đất (°C)',
      'Độ dẫn điện (µS/cm)',
      'Pin (%)',
      'Pin (V)',
    ]);
    expect(rows).toHaveLength(2);
    const row = rows[1]!;
    expect(row.slice(0, 4)).toEqual([
      'Vườn tiêu ấp 1',
      'Cảm biến s-tieu',
      's-tieu',
      new Date(NOW).toISOString(),
    ]);
    const local = new Date(NOW + 7 * 3_600_000).toISOString();
    expect(row[4]).toBe(
      `${local.slice(8, 10)}/${local.slice(5, 7)}/${local.slice(0, 4)} ${local.slice(11, 19)}`,
    );
    expect(row.slice(5)).toEqual(['19,57', '24,59', '28200', '', '3,625']);
  });

  it('gives the whole pilot as XLSX: a sheet per plot, header row frozen, typed numbers', async () => {
    const res = await get(`/api/soil/export?format=xlsx&${days()}`, 'kinhte.vuon');
    expect(res.status).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await res.arrayBuffer());
    expect(book.worksheets.map((s) => s.name)).toEqual(['Vườn tiêu ấp 1', 'Vườn điều ấp 1']);
    const dieu = book.getWorksheet('Vườn điều ấp 1')!;
    expect(dieu.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(dieu.getRow(1).getCell(6).value).toBe('Độ ẩm đất (%)');
    expect(dieu.rowCount).toBe(1 + 20);
    const last = dieu.getRow(21);
    expect(last.getCell(4).value).toBe(new Date(NOW).toISOString());
    expect(last.getCell(5).value).toBeInstanceOf(Date);
    expect((last.getCell(5).value as Date).getTime()).toBe(NOW + 7 * 3_600_000);
    expect(last.getCell(6).value).toBe(30);
    expect(typeof last.getCell(9).value).toBe('number');
  });

  it('refuses an unknown plot and a period that is no period', async () => {
    expect((await get('/api/soil/export?plot=vuon-khac', 'kinhte.vuon')).status).toBe(404);
    expect((await get('/api/soil/export?from=2026-03-10&to=2026-03-01', 'kinhte.vuon')).status).toBe(400);
    expect((await get('/api/soil/export?from=2026-02-30', 'kinhte.vuon')).status).toBe(400);
  });
});

describe('LoRaWAN link state across a restart', () => {
  it('keeps the frame counter, the radio and the lost-uplink window when the service restarts on the same data', async () => {
    await ns.endAsync(true);
    await app.stop();
    cookies.clear();
    app = await startTestApp({
      communesDir: join(tmp, 'communes'),
      dataDir,
      extra: 'ingest:\n  batchMaxDelayMs: 5',
    });
    // Before any new uplink: the link health the page shows is still the last one heard.
    const before = (await plots()).find((p) => p.siteId === 'vuon-tieu')!.sensors[0]!;
    expect(before.link).toMatchObject({ rssiDbm: -97, lastFCnt: 7 });
    ns = await connectDevice(app, 'gw');
    // The frame heard before the restart, resent: still a duplicate.
    await ns.publishAsync(
      topic(EUI.a),
      JSON.stringify(upEvent(EUI.a, { fCnt: 7, fPort: 2, bytes: LSE01, ts: NOW })),
      {
        qos: 1,
      },
    );
    await until(
      () =>
        app.db
          .prepare(`SELECT COUNT(*) AS n FROM rejects WHERE reason = 'lorawan-duplicate-frame'`)
          .get() as {
          n: number;
        },
      (r) => r.n === 1,
    );
    // Three frames lost across the restart: counted, not taken for the first frame ever.
    await ns.publishAsync(
      topic(EUI.a),
      JSON.stringify(upEvent(EUI.a, { fCnt: 11, fPort: 2, bytes: LSE01, ts: NOW + 30_000, rssi: -104 })),
      { qos: 1 },
    );
    const after = await until(
      async () => (await plots()).find((p) => p.siteId === 'vuon-tieu')!.sensors[0]!,
      (s) => s.link?.lastFCnt === 11,
    );
    expect(after.link).toMatchObject({ rssiDbm: -104, lostUplinksPct: 75, fCntResets: 0 });
    // The link state is saved at decode, the reading a batch later: wait for the stored one.
    const lost = await until(
      () => app.store.query({ deviceId: 's-tieu', metric: 'lostUplinksPct', fromTs: NOW, toTs: NOW + DAY }),
      (rows) => rows.length > 0,
    );
    expect(lost.map((r) => r.value)).toEqual([75]);
  }, 60_000);
});
