/**
 * In Chromium, against the real service and stand-in cameras probed by its onvif probe: the
 * police's page of one camera (drift chart, recent snapshots, intervals, maintenance on and off),
 * the camera health page of a camera maintainer (no imagery) and of a leader (counts only), and
 * the refusals a technician who is not a camera maintainer meets.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAMERA_MAINTAINER,
  type CameraCommune,
  startCameraCommune,
  userOf,
} from '../fixtures/camera-commune.ts';
import { launchBrowser, signIn as signInAs } from '../setup/browser.ts';
import { waitFor } from '../setup/helpers.ts';

const SHOTS = join(tmpdir(), 'canhxa-camera-views-shots');

let commune: CameraCommune;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [commune, browser] = await Promise.all([
    startCameraCommune([
      { id: 'cam-cong', name: 'Camera cổng UBND', behaviour: { driftSec: 95 } },
      { id: 'cam-cho', name: 'Camera chợ ấp 1', behaviour: { scene: 'covered' } },
    ]),
    launchBrowser(),
  ]);
  // The page shows what the probe found: wait for a verdict and a few snapshots of each camera.
  await waitFor(
    () =>
      ['cam-cong', 'cam-cho'].every(
        (id) =>
          commune.app.availability.get(id)?.state === 'degraded' &&
          (commune.app.snapshots.latest(id, 3).length ?? 0) >= 3,
      ),
    'both cameras judged, with snapshots',
    60_000,
  );
  await commune.app.ingest.flush();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await commune?.stop();
});

const signIn = (user: string, width?: number) => signInAs(browser, commune.app, user, width);

/**
 * Redraws the page (as its 30 s refresh does) until `read` gives `want`: on a busy box a probe
 * run may time out and the camera be down for a moment, so the test waits for the state it needs.
 */
async function redrawUntil(page: Page, loaded: string, read: () => Promise<string | null>, want: string) {
  await expect
    .poll(
      async () => {
        await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
        await page.waitForSelector(loaded);
        return read();
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBe(want);
}

describe("a camera's page, for the police", () => {
  it('opens from the grid with the drift chart, recent snapshots, intervals and maintenance', async () => {
    const { page, errors } = await signIn(userOf('police'));
    await page.click('.nav [data-nav="cameras"]');
    await page.click('.camera-card[data-device-id="cam-cong"] a.camera-link');
    await page.waitForSelector('.page-camera[data-loaded="true"]');
    await redrawUntil(
      page,
      '.page-camera[data-loaded="true"]',
      () => page.locator('.device-state .reason').getAttribute('data-reason'),
      'camera-clock-drift',
    );
    expect(await page.locator('.device-state').getAttribute('data-state')).toBe('degraded');
    // The drift chart: drawn by uPlot from the drift route, then over 7 days at hourly resolution.
    await page.waitForSelector('.charts-panel[data-range="24h"] .uplot');
    await page.click('.charts-panel [data-range="7d"]');
    await page.waitForSelector('.charts-panel[data-range="7d"] .uplot');
    // Recent snapshots, each decoded by Chromium through the police's session.
    expect(await page.locator('.camera-thumb.camera-recent img').count()).toBeGreaterThanOrEqual(3);
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('.camera-thumb img')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    expect(await page.locator('.history-table tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'camera-police-1280.png'), fullPage: true });

    // Maintenance with a reason and a planned end, confirmed; then ended.
    await page.click('[data-action="maintenance"]');
    await page.fill('#maintenance-reason', 'Thay ống kính bị nứt');
    await page.click('.maint-form button[type=submit]');
    await page.click('[data-action="maintenance-confirm"]');
    await page.waitForSelector('.device-state[data-state="maintenance"]');
    expect(await page.locator('#maintenance-info').textContent()).toContain(userOf('police'));
    await page.screenshot({ path: join(SHOTS, 'camera-maintenance-1280.png'), fullPage: true });
    page.once('dialog', (d) => void d.accept());
    await page.click('[data-action="maintenance"]');
    await page.waitForSelector('.device-state:not([data-state="maintenance"])');
    expect(errors).toEqual([]);
  }, 180_000);

  it('fits a phone', async () => {
    const { page, errors } = await signIn(userOf('police'), 390);
    await page.goto(`${commune.app.apiUrl}/#/cameras/cam-cho`);
    await page.waitForSelector('.page-camera[data-loaded="true"]');
    await page.waitForSelector('.charts-panel .uplot');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(SHOTS, 'camera-police-390.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('camera health, and refusals', () => {
  it('shows a camera maintainer state, reason and since when, and no image', async () => {
    const { page, errors } = await signIn(CAMERA_MAINTAINER);
    await page.click('.nav [data-nav="camera-health"]');
    await page.waitForSelector('.camera-health-body[data-loaded="true"]');
    expect(await page.locator('.camera-health').count()).toBe(2);
    await redrawUntil(
      page,
      '.camera-health-body[data-loaded="true"]',
      () =>
        page.locator('.camera-health[data-device-id="cam-cho"] [data-reason]').getAttribute('data-reason'),
      'camera-covered',
    );
    expect(await page.locator('img').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'camera-health-maintainer.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 120_000);

  it('refuses another technician the health page, the camera page and its snapshots', async () => {
    const { page } = await signIn(userOf('technician'));
    await page.click('.nav [data-nav="camera-health"]');
    await page.waitForSelector('.camera-health-body[data-loaded="error"]');
    expect(await page.locator('.camera-health').count()).toBe(0);
    await page.goto(`${commune.app.apiUrl}/#/cameras/cam-cong`);
    await page.waitForSelector('main.page .empty');
    expect(await page.locator('img').count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch('/api/cameras/cam-cong/snapshots')).status);
    expect(status).toBe(403);
  }, 120_000);

  it('gives a leader the counts by state, no camera, and no camera page', async () => {
    const { page, errors } = await signIn(userOf('leader'));
    await page.click('.nav [data-nav="camera-health"]');
    await page.waitForSelector('.camera-health-body[data-loaded="true"]');
    expect(await page.locator('.camera-counts tbody tr').count()).toBe(1);
    const counted = await page
      .locator('.camera-counts tbody td[data-state]')
      .evaluateAll((tds) => tds.reduce((n, td) => n + Number(td.textContent), 0));
    expect(counted).toBe(2);
    expect(await page.locator('.camera-health').count()).toBe(0);
    expect(await page.content()).not.toContain('cam-cong');
    await page.screenshot({ path: join(SHOTS, 'camera-health-leader.png'), fullPage: true });
    await page.goto(`${commune.app.apiUrl}/#/cameras/cam-cong`);
    await page.waitForSelector('main.page .empty');
    expect(errors).toEqual([]);
  }, 120_000);
});
