import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, PROVINCE_USER, startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser } from '../setup/browser.ts';
import { TileServerStandIn } from '../standins/tile-server.ts';

const SHOTS = join(resolve(import.meta.dirname, '../..'), 'test-results');

let browser: Browser;
const tiles = new TileServerStandIn();
let tileUrl = '';
// One data folder across a restart: the tile cache must survive it.
const dataDir = mkdtempSync(join(tmpdir(), 'cx-map-'));

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  tileUrl = `${await tiles.start()}/{z}/{x}/{y}.png`;
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await tiles.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function signIn(app: TestApp, username: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height: width < 500 ? 812 : 900 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(`${app.apiUrl}/`);
  await page.fill('#username', username);
  await page.fill('#password', app.userPasswords.get(username)!);
  await page.click('.login-form button[type=submit]');
  await page.waitForSelector('.topbar .nav');
  return page;
}

async function openMap(page: Page): Promise<void> {
  await page.click('.nav [data-nav="map"]');
  await page.waitForSelector('path.hamlet-outline');
  await page.waitForSelector('.map-base-note:not([data-base="pending"])', { state: 'attached' });
}

/**
 * Hamlet outlines and clusters whose colour is not the worst state of the devices inside, by the
 * API's own device list (worst first: down, unreachable, degraded, unknown, maintenance, up).
 */
function colourMismatches(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const order = ['down', 'unreachable', 'degraded', 'unknown', 'maintenance', 'up'];
    const devices: { hamletId: string; siteId: string; state: string }[] = await (
      await fetch('/api/devices')
    ).json();
    const worstOf = (list: { state: string }[]) =>
      list.length ? order[Math.min(...list.map((d) => order.indexOf(d.state)))] : 'none';
    const out: string[] = [];
    for (const el of document.querySelectorAll('path.hamlet-outline')) {
      const want = worstOf(devices.filter((d) => d.hamletId === el.getAttribute('data-hamlet')));
      if (el.getAttribute('data-state') !== want) out.push(`${el.getAttribute('data-hamlet')}: ${want}`);
    }
    for (const el of document.querySelectorAll('.site-cluster')) {
      const sites = el.querySelector('span')!.dataset.sites!.split(' ');
      const want = worstOf(devices.filter((d) => sites.includes(d.siteId)));
      if (!el.classList.contains(`state-${want}`)) out.push(`cluster ${sites}: ${want}`);
    }
    return out;
  });
}

async function done(page: Page): Promise<void> {
  await page.context().close();
  expect((page as Page & { errors: string[] }).errors, 'uncaught errors in the page').toEqual([]);
}

describe('map with a reachable tile server, then after a restart without it', () => {
  let app: TestApp;
  const passwords = new Map<string, string>();

  beforeAll(async () => {
    app = await startTestApp({
      dataDir,
      extra: `map: { tileUrl: ${JSON.stringify(tileUrl)}, attribution: "© Bản đồ thử nghiệm" }`,
    });
    for (const [u, p] of app.userPasswords) passwords.set(u, p);
  }, 120_000);
  afterAll(() => app?.stop());

  it('shows base tiles through the service cache, with attribution, hamlet outlines and roads, on desktop and phone', async () => {
    const cookie = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
    const tile = await fetch(`${app.apiUrl}/api/map/tiles/13/6536/3880.png`, { headers: { cookie } });
    expect([tile.status, tile.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(existsSync(join(dataDir, 'tiles', '13', '6536', '3880.png'))).toBe(true);
    const page = await signIn(app, 'kythuat.talai');
    await openMap(page);
    expect(await page.getAttribute('.map-base-note', 'data-base')).toBe('tiles');
    await page.waitForSelector('.leaflet-tile-loaded');
    // The browser asked the service, never the tile server.
    const srcs = await page
      .locator('img.leaflet-tile')
      .evaluateAll((els) => els.map((e) => e.getAttribute('src')));
    expect(srcs.every((s) => s?.startsWith('/api/map/tiles/'))).toBe(true);
    expect(await page.locator('.leaflet-control-attribution').textContent()).toContain('© Bản đồ thử nghiệm');
    expect(await page.locator('path.hamlet-outline').count()).toBe(19);
    expect(await page.locator('path.road').count()).toBe(2);
    expect(tiles.requests).toBeGreaterThan(0);
    expect([...tiles.userAgents][0]).toMatch(/^CanhXa\//);
    await page.screenshot({ path: join(SHOTS, 'map-tiles-1280.png') });
    await done(page);
  }, 120_000);

  it('shows the map with its tiles on a 390 px phone', async () => {
    const phone = await signIn(app, 'kythuat.talai', 390);
    await openMap(phone);
    await phone.waitForSelector('.leaflet-tile-loaded');
    await phone.screenshot({ path: join(SHOTS, 'map-tiles-390.png') });
    await done(phone);
  }, 120_000);

  it('after a restart with the tile server gone, shows the tiles cached before, without asking it', async () => {
    await app.stop();
    await tiles.stop();
    const before = tiles.requests;
    app = await startTestApp({
      dataDir,
      extra: `map: { tileUrl: ${JSON.stringify(tileUrl)}, attribution: "© Bản đồ thử nghiệm" }`,
    });
    // Passwords are generated at the first start only.
    app = { ...app, userPasswords: passwords };
    const page = await signIn(app, 'kythuat.talai');
    await openMap(page);
    expect(await page.getAttribute('.map-base-note', 'data-base')).toBe('tiles');
    await page.waitForSelector('.leaflet-tile-loaded');
    expect(await page.locator('.map-base-note').textContent()).toContain('đã lưu');
    expect(tiles.requests).toBe(before);
    await done(page);
  }, 120_000);
});

describe('map with no tile server reachable', () => {
  let app: TestApp;
  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    app = await startTestApp({ extra: 'map: { tileUrl: "http://127.0.0.1:9/{z}/{x}/{y}.png" }' });
  }, 120_000);
  afterAll(() => app?.stop());

  it('draws outlines coloured by the worst visible state, roads and labels above the markers, and says why there is no base map', async () => {
    const page = await signIn(app, 'kythuat.talai');
    await openMap(page);
    expect(await page.getAttribute('.map-base-note', 'data-base')).toBe('offline');
    expect(await page.locator('.map-base-note').textContent()).toContain('Không có bản đồ nền');
    expect(await page.locator('.leaflet-tile-loaded').count()).toBe(0);
    expect(await page.locator('path.hamlet-outline').count()).toBe(19);
    expect(await page.locator('path.road').count()).toBe(2);
    // Each hamlet takes the worst state of the devices the technician sees there (probes of
    // absent targets turn devices down meanwhile: compare with the API until both agree).
    await expect.poll(() => colourMismatches(page), { timeout: 30_000, interval: 500 }).toEqual([]);
    // Labels sit in a pane above every marker and take no clicks.
    const z = await page.evaluate(() => {
      const pane = (n: string) => document.querySelector<HTMLElement>(`.leaflet-${n}-pane`)!;
      return {
        labels: Number(getComputedStyle(pane('labels')).zIndex),
        markers: Number(getComputedStyle(pane('marker')).zIndex),
        overlay: Number(getComputedStyle(pane('overlay')).zIndex),
        events: getComputedStyle(pane('labels')).pointerEvents,
      };
    });
    expect(z.labels).toBeGreaterThan(Math.max(z.markers, z.overlay));
    expect(z.events).toBe('none');
    await page.screenshot({ path: join(SHOTS, 'map-offline-1280.png') });
    // Zoomed out, close sites join into clusters that count them and take the worst colour inside.
    for (let i = 0; i < 3; i++) {
      await page.click('.leaflet-control-zoom-out');
      await page.waitForTimeout(350);
    }
    await page.waitForSelector('.site-cluster');
    const counts = await page.locator('.site-cluster span').allTextContents();
    expect(counts.every((n) => Number(n) >= 2)).toBe(true);
    await expect.poll(() => colourMismatches(page), { timeout: 30_000, interval: 500 }).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'map-clusters-1280.png') });
    await done(page);
  }, 120_000);

  it('shows the counts as cards on a 390 px phone: no sideways scroll, each number named', async () => {
    const page = await signIn(app, 'lanhdao.talai', 390);
    await page.waitForSelector('.type-table tbody tr');
    const layout = await page.evaluate(() => {
      const table = document.querySelector<HTMLElement>('.type-table')!;
      const scroll = table.closest<HTMLElement>('.table-scroll')!;
      const row = table.querySelector('tbody tr')!;
      const cell = row.querySelector('td')!;
      return {
        overflow: scroll.scrollWidth - scroll.clientWidth,
        pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
        rowDisplay: getComputedStyle(row).display,
        head: getComputedStyle(table.querySelector('thead')!).display,
        label: getComputedStyle(cell, '::before').content,
        width: row.getBoundingClientRect().width,
      };
    });
    expect(layout.overflow).toBeLessThanOrEqual(0);
    expect(layout.pageOverflow).toBeLessThanOrEqual(0);
    expect(layout.rowDisplay).toBe('grid');
    expect(layout.head).toBe('none');
    expect(layout.label).toBe('"Tổng"');
    expect(layout.width).toBeLessThanOrEqual(390);
    // Firewalls and switches are counted as network equipment, not as internet lines.
    expect(await page.locator('.type-table tr[data-type="network-equipment"] th').textContent()).toBe(
      'Thiết bị mạng',
    );
    await page.locator('.type-table').screenshot({ path: join(SHOTS, 'counts-cards-390.png') });
    await done(page);
  }, 120_000);

  it('writes GPS with degrees and hemispheres and a map link, and hides the payload version', async () => {
    const page = await signIn(app, 'kythuat.talai');
    await page.goto(`${app.apiUrl}/#/devices/tl-net-ubnd`);
    await page.waitForSelector('[data-coords]');
    // The UBND's position in ta-lai.yaml: lat 11.3786, lon 107.3718.
    expect(await page.locator('[data-coords]').textContent()).toBe('11,3786° B, 107,3718° Đ');
    expect(await page.locator('.coords a.map-link').getAttribute('href')).toContain(
      'openstreetmap.org/?mlat=11.3786&mlon=107.3718',
    );
    expect(await page.locator('main').textContent()).not.toContain('Phiên bản dữ liệu');
    await page.click('[data-locale="en"]');
    await expect
      .poll(() => page.locator('[data-coords]').textContent(), { timeout: 20_000 })
      .toBe('11.3786° N, 107.3718° E');
    await page.screenshot({ path: join(SHOTS, 'device-coords-1280.png') });
    await done(page);
  }, 120_000);

  it('gives leaders and the province a map, and never a camera position to them', async () => {
    for (const user of ['lanhdao.talai', PROVINCE_USER]) {
      const page = await signIn(app, user);
      await openMap(page);
      expect(await page.locator('path.site-marker, .site-cluster').count()).toBeGreaterThan(0);
      if (user === PROVINCE_USER) {
        expect(await page.locator('.commune-label').count()).toBe(2);
        await page.screenshot({ path: join(SHOTS, 'map-province-1280.png') });
      }
      await done(page);
    }
    const cookie = await login(app, 'lanhdao.talai', app.userPasswords.get('lanhdao.talai')!);
    const police = await login(app, 'congan.talai', app.userPasswords.get('congan.talai')!);
    const get = async (c: string, path: string) =>
      (await fetch(`${app.apiUrl}${path}`, { headers: { cookie: c } })).json();
    const commune = (await get(police, '/api/communes'))[0];
    const camSites = new Map<string, { lat: number; lon: number }>(
      commune.sites
        .filter((s: { kind: string }) => s.kind === 'key-point')
        .map((s: { id: string; location: { lat: number; lon: number } }) => [s.id, s.location]),
    );
    expect(camSites.size).toBeGreaterThan(5);
    const seen = JSON.stringify([await get(cookie, '/api/communes'), await get(cookie, '/api/devices')]);
    for (const [id, at] of camSites) {
      // A camera-only key point is not named; the market with a loudspeaker too is placed at its hamlet.
      expect(seen.includes(`"lat":${at.lat},"lon":${at.lon}`), id).toBe(false);
    }
    const leaderCommune = (await get(cookie, '/api/communes'))[0];
    expect(leaderCommune.sites.find((s: { id: string }) => s.id === 'tl-kp-nga-ba')).toBeUndefined();
    expect(leaderCommune.sites.find((s: { id: string }) => s.id === 'tl-kp-cho')).toMatchObject({
      approximate: true,
    });
  }, 120_000);
});
