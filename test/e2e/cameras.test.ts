import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraCommune, startCameraCommune, userOf } from '../fixtures/camera-commune.ts';
import { launchBrowser, signIn as signInAs } from '../setup/browser.ts';

const SHOTS = join(tmpdir(), 'canhxa-cameras-shots');

let commune: CameraCommune;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [commune, browser] = await Promise.all([
    startCameraCommune([
      { id: 'cam-cong', name: 'Camera cổng UBND' },
      { id: 'cam-cho', name: 'Camera chợ ấp 1', behaviour: { scene: 'covered' } },
      { id: 'cam-duong', name: 'Camera đường ĐT 763', behaviour: { scene: 'blurred' } },
    ]),
    launchBrowser(),
  ]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await commune?.stop();
});

const signIn = (role: string) => signInAs(browser, commune.app, userOf(role));

describe('police camera grid (Camera)', () => {
  it('shows each camera with its snapshot, state and reason, and approves a reference', async () => {
    const { page, errors } = await signIn('police');
    await page.click('.nav [data-nav="cameras"]');
    await page.waitForSelector('.camera-grid[data-loaded="true"]');
    // The page refreshes every 30 s; reload until every camera has its first verdict and snapshot.
    await expect
      .poll(
        async () => {
          await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
          await page.waitForSelector('.camera-grid[data-loaded="true"]');
          return page.locator('.camera-card img.camera-snapshot').count();
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(3);
    await expect
      .poll(() => page.locator('.camera-card[data-device-id="cam-cho"]').getAttribute('data-state'), {
        timeout: 30_000,
      })
      .toBe('degraded');
    expect(
      await page.locator('.camera-card[data-device-id="cam-cho"] .camera-reason').getAttribute('data-reason'),
    ).toBe('camera-covered');
    expect(
      await page.locator('.camera-card[data-device-id="cam-duong"] .camera-reason').textContent(),
    ).toContain('mờ');
    // Every snapshot image actually loaded (decoded by Chromium, served with the session cookie).
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('img.camera-snapshot')].every(
        (i) => i.complete && i.naturalWidth > 0,
      ),
    );
    page.once('dialog', (d) => void d.accept());
    await page.click('.camera-card[data-device-id="cam-cong"] .approve-reference');
    await expect
      .poll(() => page.locator('.camera-card[data-device-id="cam-cong"] .camera-reference').textContent(), {
        timeout: 10_000,
      })
      .toContain(userOf('police'));
    await page.screenshot({ path: join(SHOTS, 'cameras-police.png'), fullPage: true });
    expect(errors).toEqual([]);
    // Generous: a busy CI box signs in and draws slowly; every wait above is for a state.
  }, 180_000);

  it('gives no camera link to a technician, and the page shows a refusal instead of imagery', async () => {
    const { page } = await signIn('technician');
    expect(await page.locator('.nav [data-nav="cameras"]').count()).toBe(0);
    await page.goto(`${commune.app.apiUrl}/#/cameras`);
    await page.waitForSelector('main.page .empty');
    expect(await page.locator('img.camera-snapshot').count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch('/api/cameras/cam-cong/snapshot')).status);
    expect(status).toBe(403);
  }, 120_000);
});
