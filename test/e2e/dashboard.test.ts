import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeText } from '../../dashboard/src/search.ts';
import type { Reading } from '../../services/store/store.ts';
import { PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser } from '../setup/browser.ts';
import { tryConnect, waitFor } from '../setup/helpers.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SHOTS = join(ROOT, 'test-results');
/** The chart's screenshots, for a person to look at; outside the repository. */
const CHART_SHOTS = join(tmpdir(), 'canhxa-chart-shots');

let app: TestApp;
let browser: Browser;
const pageErrors = new WeakMap<Page, string[]>();

/** Closes the page's context; an uncaught script error on the page fails the test. */
async function done(page: Page): Promise<void> {
  await page.context().close();
  expect(pageErrors.get(page) ?? [], 'uncaught errors in the page').toEqual([]);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(CHART_SHOTS, { recursive: true });
  // No tile server: this file checks the offline map (test/e2e/map.test.ts has the tiles).
  app = await startTestApp({ simulator: true, speed: 20, extra: 'map: { tileUrl: null }' });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function openPage(width = 1280): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height: width < 500 ? 812 : 900 },
    deviceScaleFactor: 1,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${app.apiUrl}/`);
  return page;
}

async function signIn(username: string, width = 1280): Promise<Page> {
  const page = await openPage(width);
  await page.fill('#username', username);
  await page.fill('#password', app.userPasswords.get(username)!);
  await page.click('.login-form button[type=submit]');
  await page.waitForSelector('.topbar .nav');
  return page;
}

/** An MQTT connect the broker refuses (bad password): something for the ingest page to list. */
async function refusedConnect(username: string, password: string): Promise<void> {
  const outcome = await tryConnect(app.mqttUrl, {
    clientId: username,
    username,
    password,
    protocolVersion: 4,
  });
  expect(outcome).toBeInstanceOf(Error);
}

async function navPages(page: Page): Promise<string[]> {
  return page
    .locator('.nav [data-nav]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-nav') ?? ''));
}

async function typeChips(page: Page): Promise<string[]> {
  await page.waitForSelector('.type-chips .chip[data-type]:not([data-type="all"])');
  return page
    .locator('.type-chips .chip')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-type') ?? ''));
}

async function stateOf(page: Page, id: string): Promise<string | null> {
  return page.locator(`.device-row[data-device-id="${id}"]`).getAttribute('data-state');
}

describe('dashboard in the browser', () => {
  it('shows the Vietnamese error for a wrong password', async () => {
    const page = await openPage();
    await page.fill('#username', 'congan.talai');
    await page.fill('#password', 'not-the-password');
    await page.click('.login-form button[type=submit]');
    // The refusal comes after a password hash check (scrypt), seconds on a busy 2-core machine.
    await expect
      .poll(() => page.locator('#login-error').textContent(), { timeout: 20_000 })
      .toBe('Sai tên đăng nhập hoặc mật khẩu.');
    expect(await page.locator('#login-error').isVisible()).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'login-error.png') });
    await done(page);
  });

  it('gives the police cameras and internet lines, the map, and no ingest page', async () => {
    const page = await signIn('congan.talai');
    expect(await navPages(page)).toEqual(['overview', 'map', 'cameras', 'alerts', 'maintenance']);
    const chips = await typeChips(page);
    expect(chips).toContain('camera');
    expect(chips).toContain('uplink');
    expect(chips).not.toContain('soil-sensor');
    await page.waitForSelector('.device-row[data-device-id="tl-cam-01"]');
    expect(await page.locator('.group-title').first().textContent()).toContain('Camera an ninh');
    await page.screenshot({ path: join(SHOTS, 'overview-police-desktop.png'), fullPage: false });
    await done(page);
  });

  it('gives the economics office soil sensors and never a camera', async () => {
    const page = await signIn('kinhte.talai');
    expect(await navPages(page)).toEqual(['overview', 'map', 'alerts', 'farms', 'maintenance']);
    const chips = await typeChips(page);
    expect(chips).toContain('soil-sensor');
    expect(chips).not.toContain('camera');
    expect(await page.locator('.device-row[data-device-id^="tl-cam-"]').count()).toBe(0);
    expect(await page.locator('.device-row').count()).toBeGreaterThan(0);
    await done(page);
  });

  it('gives technicians everything but cameras, plus the ingest page', async () => {
    const page = await signIn('kythuat.talai');
    expect(await navPages(page)).toEqual([
      'overview',
      'map',
      'outages',
      'alerts',
      'ingest',
      'broadcasts',
      'maintenance',
      'camera-health',
    ]);
    const chips = await typeChips(page);
    expect(chips).not.toContain('camera');
    expect(chips).toEqual(expect.arrayContaining(['loudspeaker', 'wifi-ap', 'uplink', 'soil-sensor']));
    await refusedConnect('tl-loa-01', 'not-the-password');
    // A loudspeaker's truncated JSON (detail "Unexpected end of JSON input"), a camera's too.
    for (const id of ['tl-loa-02', 'tl-cam-01']) {
      const c = await mqtt.connectAsync(app.mqttUrl, {
        clientId: id,
        username: id,
        password: app.devicePasswords.get(id)!,
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
      await c.publishAsync(`cx/v1/ta-lai/${id}/telemetry`, '{"v":1,', { qos: 0 });
      await c.endAsync();
    }
    await page.click('.nav [data-nav="ingest"]');
    await page.waitForSelector('.page-ingest .stat');
    const ingest = page.locator('.page-ingest');
    expect(await ingest.textContent()).toContain('Bản tin được nhận');
    // Two scopes, each named: this commune (the devices a technician may see), and the whole server.
    expect(await page.locator('.scope-commune .scope-title').textContent()).toContain('Xã Tà Lài');
    expect(await page.locator('.scope-server .scope-title').textContent()).toContain('Toàn máy chủ');
    // The refusal is listed with its localised reason (reject.bad-password) and its device.
    await page.waitForSelector('.rejects-table td[data-reason="malformed-json"]');
    const table = page.locator('.rejects-table');
    expect(await table.textContent()).toContain('Sai mật khẩu thiết bị');
    expect(await table.textContent()).toContain('tl-loa-01');
    expect(await table.locator('td[data-reason="malformed-json"]').first().textContent()).toContain(
      'Dữ liệu không phải JSON hợp lệ',
    );
    // The server's English detail only on demand, in a closed <details>.
    const raw = table.locator('tr', { has: page.locator('td[data-reason="malformed-json"]') }).first();
    expect(await raw.locator('details.raw-detail code').isVisible()).toBe(false);
    await raw.locator('details.raw-detail summary').click();
    expect(await raw.locator('details.raw-detail code').textContent()).toMatch(/JSON/);
    // The "refused" card is the by-reason table's total; no camera id anywhere on the page.
    expect(await page.locator('.stat-refused .stat-num').textContent()).toBe(
      await page.locator('.total-row td.num').textContent(),
    );
    expect(await ingest.textContent()).not.toContain('tl-cam-');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SHOTS, 'ingest-technician.png'), fullPage: true });
    // In English, the same reason reads in English.
    await page.evaluate(() => localStorage.setItem('cx.locale', 'en'));
    await page.reload();
    await page.waitForSelector('.topbar .nav');
    await page.click('.nav [data-nav="ingest"]');
    await page.waitForSelector('.rejects-table td[data-reason="malformed-json"]');
    expect(
      await page.locator('.rejects-table td[data-reason="malformed-json"]').first().textContent(),
    ).toContain('Payload is not valid JSON');
    await done(page);
  }, 90_000);

  it('gives leaders the overview with commune-wide counts (cameras counted, not listed)', async () => {
    const page = await signIn('lanhdao.talai');
    expect(await navPages(page)).toEqual([
      'overview',
      'map',
      'alerts',
      'kpis',
      'broadcasts',
      'maintenance',
      'camera-health',
    ]);
    await page.waitForSelector('.summary-table tr[data-type="camera"]');
    expect(await page.locator('.device-row[data-device-id^="tl-cam-"]').count()).toBe(0);
    await done(page);
  });

  it('gives the province both communes: a row per commune, a commune selector, never a camera', async () => {
    const page = await signIn(PROVINCE_USER);
    expect(await navPages(page)).toEqual(['overview', 'map', 'broadcasts', 'camera-health']);
    expect(await page.locator('.user-role').textContent()).toBe('Sở / Trung tâm IOC tỉnh');
    expect(await page.locator('.brand-sub').textContent()).toBe('Tỉnh Đồng Nai');
    await page.waitForSelector('.communes-table tr[data-commune="loc-tan"]');
    expect(await page.locator('.communes-table tbody tr[data-commune]').count()).toBe(2);
    expect(await page.locator('.summary-table tr[data-type="camera"]').count()).toBe(0);
    await page.waitForSelector('.device-row[data-device-id^="lt-"]');
    await page.waitForSelector('.device-row[data-device-id^="tl-"]');
    expect(await page.locator('.device-row[data-device-id*="-cam-"]').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'overview-province.png'), fullPage: true });
    // Narrow to Lộc Tấn with the selector, then back to Tà Lài from its row in the table.
    await page.selectOption('#filter-commune', 'loc-tan');
    await expect.poll(() => page.locator('.device-row[data-device-id^="tl-"]').count()).toBe(0);
    expect(await page.locator('.device-row[data-device-id^="lt-"]').count()).toBeGreaterThan(10);
    await page.click('.communes-table button[data-commune="ta-lai"]');
    await expect.poll(() => page.locator('.device-row[data-device-id^="lt-"]').count()).toBe(0);
    expect(await page.locator('#filter-commune').inputValue()).toBe('ta-lai');
    await done(page);
  });

  it('shows a Lộc Tấn technician only Lộc Tấn devices, and no commune selector', async () => {
    const page = await signIn('kythuat.loctan');
    await page.waitForSelector('.device-row[data-device-id^="lt-"]');
    expect(await page.locator('.device-row[data-device-id^="tl-"]').count()).toBe(0);
    expect(await page.locator('#filter-commune').count()).toBe(0);
    expect(await page.locator('.brand-sub').textContent()).toBe('Xã Lộc Tấn');
    await done(page);
  });

  it('shows a technician on a phone the latest bulletin: hamlets that played it and one that did not, and why', async () => {
    const page = await signIn('kythuat.loctan', 390);
    expect(await page.locator('.nav [data-nav="broadcasts"]').count()).toBe(1);
    await page.evaluate(() => {
      location.hash = '#/broadcasts';
    });
    await page.waitForSelector('.page-broadcasts h1');
    expect(await page.locator('.page-broadcasts h1').textContent()).toBe('Bản tin loa truyền thanh');
    // The demo's controllers show their plays on status pages the probe gateway reads every 15 s: reload until stored.
    // The newest bulletin whose window has closed (one aired minutes ago is still pending).
    const first = page.locator('.bulletin:not(:has([data-outcome="pending"]))').first();
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.waitForSelector('.bulletin, .page-broadcasts p.muted');
          return first.locator('[data-outcome="missed"]').count();
        },
        { timeout: 75_000, interval: 500 },
      )
      .toBe(1);
    expect(await first.locator('[data-outcome="played"]').count()).toBeGreaterThan(0);
    // Vietnamese date and time of the bulletin: "Bản tin sáng · 02/12/2026 06:00".
    expect(await first.locator('h2').textContent()).toMatch(
      /^Bản tin (sáng|chiều) · \d{2}\/\d{2}\/\d{4} (06|17):00$/,
    );
    expect(await first.locator('[data-outcome="missed"] .bulletin-badge').textContent()).toBe('Không phát');
    expect(await first.locator('[data-outcome="missed"] .meta').first().textContent()).toMatch(/\S/);
    expect(await first.locator('[data-outcome="played"] .meta').first().textContent()).toMatch(
      /^Đã phát \(xác nhận từ Cụm loa/,
    );
    // Phone-friendly: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(tmpdir(), 'canhxa-bulletins.png'), fullPage: true });
    await page.screenshot({ path: join(tmpdir(), 'canhxa-bulletins-top.png') });
    await done(page);
  }, 90_000);

  it('gives admins the overview, the outages and the ingest page', async () => {
    const page = await signIn('quantri.talai');
    expect(await navPages(page)).toEqual([
      'overview',
      'outages',
      'alerts',
      'kpis',
      'ingest',
      'broadcasts',
      'farms',
      'maintenance',
      'users',
      'audit',
    ]);
    await done(page);
  });

  it('finds "Tà Lài" and "Nhà văn hóa" when typed without diacritics', async () => {
    const page = await signIn('kythuat.talai');
    await page.waitForSelector('.device-row');
    const total = await page.locator('.device-row').count();
    /** Types the query, waits until the list shows only matches, and returns the rows' texts. */
    const search = async (query: string): Promise<string[]> => {
      await page.fill('#search', query);
      const words = normalizeText(query).split(' ');
      let rows: string[] = [];
      await expect
        .poll(async () => {
          rows = await page.locator('.device-row').allTextContents();
          return rows.length > 0 && rows.every((r) => words.every((w) => normalizeText(r).includes(w)));
        })
        .toBe(true);
      return rows;
    };

    const houses = await search('nha van hoa');
    expect(houses.length).toBeLessThan(total);
    expect(houses.every((r) => r.toLowerCase().includes('nhà văn hóa'))).toBe(true);

    const talai = await search('ta lai');
    expect(talai.length).toBeLessThan(total);
    expect(talai.some((r) => r.includes('Tà Lài'))).toBe(true);
    await done(page);
  });

  it('shows a camera going down and coming back on the live overview, without reloading', async () => {
    const page = await signIn('congan.talai');
    await page.waitForSelector('.device-row[data-device-id="tl-cam-01"]');
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 42;
    });
    await expect.poll(() => stateOf(page, 'tl-cam-01'), { timeout: 20_000 }).toBe('up');
    const badge = page.locator('.device-row[data-device-id="tl-cam-01"] .state-text');

    await app.simulator!.goOffline('tl-cam-01');
    await expect.poll(() => stateOf(page, 'tl-cam-01'), { timeout: 60_000, interval: 250 }).toBe('down');
    expect(await badge.textContent()).toBe('Mất kết nối');
    await page.screenshot({ path: join(SHOTS, 'overview-police-camera-down.png') });

    await app.simulator!.comeBack('tl-cam-01');
    await expect.poll(() => stateOf(page, 'tl-cam-01'), { timeout: 60_000, interval: 250 }).toBe('up');
    expect(await badge.textContent()).toBe('Hoạt động');
    // Same document all along: the change arrived over the stream, not by a reload.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    await done(page);
  }, 150_000);

  it('switches to English and keeps the choice after a reload', async () => {
    const page = await signIn('congan.talai');
    await page.waitForSelector('.device-row');
    expect(await page.locator('.nav [data-nav="overview"]').textContent()).toBe('Tổng quan');
    await page.click('.lang-switch button[data-locale="en"]');
    await expect.poll(() => page.locator('.nav [data-nav="overview"]').textContent()).toBe('Overview');
    expect(await page.locator('h1').textContent()).toBe('Overview');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.reload();
    await page.waitForSelector('.device-row');
    expect(await page.locator('.nav [data-nav="map"]').textContent()).toBe('Map');
    await page.screenshot({ path: join(SHOTS, 'overview-police-english.png') });
    await page.click('.lang-switch button[data-locale="vi"]');
    await expect.poll(() => page.locator('.nav [data-nav="overview"]').textContent()).toBe('Tổng quan');
    await done(page);
  });

  it('fits a 375 px phone without sideways scrolling', async () => {
    const page = await signIn('kythuat.talai', 375);
    await page.waitForSelector('.device-row');
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(SHOTS, 'overview-phone-375.png') });
    await page.screenshot({ path: join(SHOTS, 'overview-phone-375-full.png'), fullPage: true });
    await done(page);
  });

  it('shows a device page with provenance, state, readings, 24 h bar and history', async () => {
    const page = await signIn('congan.talai');
    await page.goto(`${app.apiUrl}/#/devices/tl-cam-01`);
    await page.waitForSelector('.page-device .history-table');
    const text = (await page.locator('.page-device').textContent()) ?? '';
    for (const label of [
      'Nguồn kinh phí',
      'Ngày lắp đặt',
      'Tín hiệu định kỳ gần nhất',
      'Số liệu mới nhất',
      '24 giờ qua',
    ]) {
      expect(text).toContain(label);
    }
    expect(await page.locator('.timeline .seg').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'device-page.png'), fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(SHOTS, 'device-page-phone.png'), fullPage: true });
    await done(page);
  });

  it('refuses a camera page to the economics office', async () => {
    const page = await signIn('kinhte.talai');
    await page.goto(`${app.apiUrl}/#/devices/tl-cam-01`);
    await expect
      .poll(() => page.locator('.page-device [role=alert]').textContent())
      .toBe('Bạn không có quyền xem nội dung này.');
    await done(page);
  });

  it('draws the commune map offline: circle markers and hamlet labels, no tiles', async () => {
    const page = await signIn('kythuat.talai');
    await page.click('.nav [data-nav="map"]');
    await page.waitForSelector('.leaflet-interactive');
    expect(await page.locator('path.leaflet-interactive').count()).toBeGreaterThan(10);
    expect(await page.locator('.hamlet-label').count()).toBe(19);
    expect(await page.locator('.leaflet-tile').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'map.png') });
    await page.locator('path.leaflet-interactive').first().click();
    await page.waitForSelector('.leaflet-popup .popup');
    await page.waitForTimeout(600);
    await page.screenshot({ path: join(SHOTS, 'map-popup.png') });
    await done(page);
  });
  it('charts each metric of a device: min–max band and mean, Vietnamese axes, a 24 h / 7 d / 30 d switch', async () => {
    // Six hours of bitrate until 3 h ago, rolled up, beside the simulator's live readings (raw
    // until the service's retention job rolls them up); and a temperature last heard 3 days ago.
    const now = Date.now();
    const start = Math.floor(now / 60_000) * 60_000 - 9 * 60 * 60_000;
    const seeded: Reading[] = [];
    for (let m = 0; m < 360; m++)
      for (const [i, dv] of [-150, 0, 150].entries())
        seeded.push({
          communeId: 'ta-lai',
          deviceId: 'tl-cam-01',
          metric: 'bitrateKbps',
          ts: start + m * 60_000 + i * 1000,
          value: 3600.5 + 400 * Math.sin(m / 20) + dv,
        });
    seeded.push({
      communeId: 'ta-lai',
      deviceId: 'tl-cam-01',
      metric: 'enclosureTempC',
      ts: now - 3 * 86_400_000,
      value: 41.25,
    });
    await app.store.write(seeded);
    await app.store.rollup(start, start + 360 * 60_000);

    const page = await signIn('congan.talai');
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/series')) requests.push(new URL(r.url()).search);
    });
    await page.goto(`${app.apiUrl}/#/devices/tl-cam-01`);
    const chart = page.locator('.charts-panel .chart[data-metric="bitrateKbps"]');
    await chart.locator('canvas').waitFor();
    expect(requests).toContain('?metric=bitrateKbps&range=24h');
    expect(await chart.locator('figcaption').textContent()).toBe('Tốc độ luồng hình (kbps)');
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(360);
    // Drawn: the canvas has coloured pixels (the band and the mean line), not a blank rectangle.
    const inked = await chart.locator('canvas').evaluate((c: HTMLCanvasElement) => {
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 3]! > 0 && px[i + 2]! > px[i]! + 30) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(500);
    // Axes in Vietnamese: 3.600 (dot for thousands), 14:05 and 23/11/2026 in Hồ Chí Minh time.
    const yTicks = ((await chart.getAttribute('data-y-ticks')) ?? '').split(' | ');
    expect(yTicks.some((v) => /^\d\.\d{3}$/.test(v))).toBe(true);
    expect(yTicks.every((v) => !/,\d{3}\b/.test(v))).toBe(true);
    const xTicks = (await chart.getAttribute('data-x-ticks')) ?? '';
    expect(xTicks).toMatch(/^\d{2}:\d{2}\n\d{2}\/\d{2}\/\d{4}/);
    // The legend at the cursor: date-time and values with a decimal comma and the unit.
    const over = chart.locator('.u-over');
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    // The seeded hours are 15–21 h into the 24 h window.
    await over.hover({ position: { x: box.width * 0.75, y: box.height / 2 } });
    const legend = chart.locator('.u-legend');
    await expect.poll(() => legend.textContent()).toMatch(/\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
    expect(await legend.textContent()).toMatch(/Trung bình:?\s*\d\.\d{3}(,\d+)? kbps/);
    // Nothing in the last 24 h for the temperature: the empty-state text, not an empty frame.
    expect(await page.locator('.chart[data-metric="enclosureTempC"] .chart-empty').textContent()).toBe(
      'Chưa có số liệu trong khoảng thời gian này.',
    );
    await page.mouse.move(0, 0);
    await chart.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(CHART_SHOTS, 'device-chart-desktop.png'), fullPage: true });

    await page.click('.range-switch [data-range="7d"]');
    await waitFor(() => requests.includes('?metric=bitrateKbps&range=7d'), 'the 7 d request');
    await page.waitForSelector('.charts-panel[data-range="7d"] .chart[data-metric="enclosureTempC"] canvas');
    expect(await page.locator('.range-switch [data-range="7d"]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('.chart-note').textContent()).toContain('1 giờ');
    await page.click('.range-switch [data-range="30d"]');
    await waitFor(() => requests.includes('?metric=bitrateKbps&range=30d'), 'the 30 d request');
    await page.waitForSelector('.charts-panel[data-range="30d"]');

    // A 390 px phone: the chart fits the screen, no sideways scrolling.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.click('.range-switch [data-range="24h"]');
    await page.waitForSelector('.charts-panel[data-range="24h"] .chart[data-metric="bitrateKbps"] canvas');
    await waitFor(
      () => chart.locator('.uplot').evaluate((u) => u.getBoundingClientRect().right <= window.innerWidth),
      'the chart to narrow to the phone',
    );
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await chart.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(CHART_SHOTS, 'device-chart-phone-390.png') });
    await page.screenshot({ path: join(CHART_SHOTS, 'device-chart-phone-390-full.png'), fullPage: true });

    // English: English labels, and 3,600 with a comma for thousands.
    await page.click('.lang-switch button[data-locale="en"]');
    const en = page.locator('.charts-panel .chart[data-metric="bitrateKbps"]');
    await en.locator('canvas').waitFor();
    expect(await page.locator('.charts-head h2').textContent()).toBe('Readings over time');
    await waitFor(
      async () => /\d,\d{3}/.test((await en.getAttribute('data-y-ticks')) ?? ''),
      'English y ticks',
    );
    expect(await page.locator('.chart[data-metric="enclosureTempC"] .chart-empty').textContent()).toBe(
      'No readings in this period.',
    );
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(CHART_SHOTS, 'device-chart-english.png'), fullPage: true });
    await page.click('.lang-switch button[data-locale="vi"]');
    await done(page);
  });
});
