/**
 * The economics office's page (Vườn thí điểm) in a real browser: the sensors' uplinks arrive as
 * ChirpStack v4 events from a network server account in the embedded broker, the page shows the
 * dry plot first with Vietnamese numbers and dates, a moisture chart, battery and link health, and
 * export links that download a real CSV; the police get no link and the API refuses them.
 * Screenshots at 1280 and 390 px go to the temp folder (canhxa-farms-shots).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COMMUNE, EUI, em500, LSE01, topic, upEvent } from '../fixtures/soil-farm.ts';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser, signIn as signInAs } from '../setup/browser.ts';

const SHOTS = join(tmpdir(), 'canhxa-farms-shots');
const NOW = Math.floor(Date.now() / 1000) * 1000 - 60_000;

let tmp: string;
let app: TestApp;
let browser: Browser;
let ns: MqttClient;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'cx-farms-e2e-'));
  mkdirSync(join(tmp, 'communes'));
  writeFileSync(join(tmp, 'communes', 'xa-vuon.yaml'), stringify(COMMUNE));
  app = await startTestApp({ communesDir: join(tmp, 'communes'), extra: 'ingest:\n  batchMaxDelayMs: 5' });
  ns = await connectDevice(app, 'gw');
  // A day and a half of the điều plot's sensor every 3 h, its battery falling; the tiêu plot's once (dry).
  for (let i = 0; i < 12; i++) {
    const ts = NOW - (11 - i) * 3 * 3_600_000;
    const ev = upEvent(EUI.b, { fCnt: i + 1, fPort: 85, bytes: em500(3000 + 25 * i, 90 - i), ts });
    await ns.publishAsync(topic(EUI.b), JSON.stringify(ev), { qos: 1 });
  }
  const dry = upEvent(EUI.a, { fCnt: 3, fPort: 2, bytes: LSE01, ts: NOW });
  await ns.publishAsync(topic(EUI.a), JSON.stringify(dry), { qos: 1 });
  const end = Date.now() + 30_000;
  while ((await app.store.query({ deviceId: 's-tieu', fromTs: NOW, toTs: NOW + 1 })).length < 4) {
    if (Date.now() > end) throw new Error('the tiêu sensor’s uplink was not stored');
    await new Promise((r) => setTimeout(r, 25));
  }
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await ns?.endAsync(true).catch(() => {});
  await browser?.close();
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const signIn = (username: string, width: number) =>
  signInAs(browser, app, username, width, { acceptDownloads: true });

describe('economics office page (Vườn thí điểm)', () => {
  it('shows the dry plot first with Vietnamese numbers, dates, chart, battery and link health (1280 px)', async () => {
    const { page, errors } = await signIn('kinhte.vuon', 1280);
    await page.click('.nav [data-nav="farms"]');
    await page.waitForSelector('.page-farms [data-loaded="true"]');
    expect(await page.locator('h1').textContent()).toBe('Nông nghiệp số — vườn thí điểm');
    const plots = page.locator('.plot');
    expect(await plots.evaluateAll((els) => els.map((e) => [e.dataset.siteId, e.dataset.status]))).toEqual([
      ['vuon-tieu', 'dry'],
      ['vuon-dieu', 'ok'],
    ]);
    const tieu = page.locator('.plot[data-site-id="vuon-tieu"]');
    const text = (await tieu.textContent()) ?? '';
    expect(text).toContain('Quá khô');
    expect(text).toContain('Hồ tiêu');
    expect(text).toContain('khô dưới 22 %');
    // 19,57 % shown as 19,6 %; 28200 µS/cm with a Vietnamese thousands dot.
    expect(await tieu.locator('[data-metric="soilMoisturePct"] strong').textContent()).toBe('19,6 %');
    expect(await tieu.locator('[data-metric="soilEcUsCm"] strong').textContent()).toMatch(/^28\.200 /);
    expect(await tieu.locator('.soil-fresh').textContent()).toMatch(
      /Cập nhật \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/,
    );
    expect(await tieu.locator('.soil-link').textContent()).toContain('Sóng -97 dBm, SNR 7,5 dB');
    const dieu = page.locator('.plot[data-site-id="vuon-dieu"]');
    expect(await dieu.locator('.soil-battery').textContent()).toMatch(/^Pin 79 %, còn khoảng \d+ ngày$/);
    expect(await dieu.locator('.soil-completeness').textContent()).toMatch(
      /^Ngày \d{2}\/\d{2}\/\d{4}: nhận \d+\/144 bản tin/,
    );
    // The per-plot chart, drawn by uPlot, its ticks the Vietnamese way.
    const chart = dieu.locator('.chart[data-metric="soilMoisturePct"]');
    await expect.poll(() => chart.getAttribute('data-y-ticks'), { timeout: 20_000 }).toMatch(/\d,\d/);
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(1);
    // A crop season is one of the chart's ranges.
    await dieu.locator('.range-switch [data-range="120d"]').click();
    await dieu
      .locator('.charts-panel[data-range="120d"] .chart[data-metric="soilMoisturePct"] canvas')
      .waitFor();
    expect(await dieu.locator('.range-switch [data-range="120d"]').textContent()).toBe('Mùa vụ');
    // The plots on the map: one circle each, coloured as its badge; a circle's popup gives the moisture.
    await page.waitForSelector('.plot-map .plot-marker');
    await page.locator('.plot-map').scrollIntoViewIfNeeded();
    expect(await page.locator('.plot-map .plot-marker-dry').count()).toBe(1);
    expect(await page.locator('.plot-map .plot-marker-ok').count()).toBe(1);
    await page.locator('.plot-map .plot-marker-dry').click();
    expect(await page.locator('.plot-map .leaflet-popup-content').textContent()).toContain(
      'Độ ẩm đất trung bình: 19,6 %',
    );
    expect(await page.locator('.farm-export-period').textContent()).toMatch(
      /^Số liệu từ \d{2}\/\d{2}\/\d{4} đến \d{2}\/\d{2}\/\d{4}, giờ Việt Nam\.$/,
    );
    // The export link downloads a real CSV of the chosen plot.
    await page.selectOption('#export-plot', 'vuon-tieu');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-format="csv"]')]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toContain('Vườn tiêu ấp 1;Cảm biến s-tieu;s-tieu;');
    expect(csv).toContain(';19,57;24,59;28200;;3,625');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(SHOTS, 'farms-desktop.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 90_000);

  it('fits a phone (390 px) in one column', async () => {
    const { page, errors } = await signIn('kinhte.vuon', 390);
    await page.goto(`${app.apiUrl}/#/farms`);
    await page.waitForSelector('.page-farms [data-loaded="true"]');
    await page
      .locator('.plot[data-site-id="vuon-dieu"] .chart[data-metric="soilMoisturePct"][data-y-ticks]')
      .waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(SHOTS, 'farms-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 90_000);

  it('gives the police no link to it, and the API refuses them', async () => {
    const { page } = await signIn('congan.vuon', 1280);
    expect(await page.locator('.nav [data-nav="farms"]').count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch('/api/soil/plots')).status);
    expect(status).toBe(403);
  }, 60_000);
});
