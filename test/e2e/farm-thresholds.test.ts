/**
 * The economics office edits a plot's moisture bounds on the Vườn thí điểm page in a real
 * browser: a too-wet bound below the too-dry one is refused beside its field (the server's
 * Vietnamese text), valid bounds turn the dry plot's mark to "Đủ ẩm" and say who set them, and
 * going back to the commune file's bounds makes it dry again. The police cannot change them.
 * Screenshots at 1280 and 390 px go to the temp folder (canhxa-farms-shots).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { COMMUNE, EUI, LSE01, topic, upEvent } from '../fixtures/soil-farm.ts';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser, signIn } from '../setup/browser.ts';
import { waitFor } from '../setup/helpers.ts';

const SHOTS = join(tmpdir(), 'canhxa-farms-shots');
const NOW = Math.floor(Date.now() / 1000) * 1000 - 60_000;

let tmp: string;
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'cx-farm-thr-'));
  mkdirSync(join(tmp, 'communes'));
  writeFileSync(join(tmp, 'communes', 'xa-vuon.yaml'), stringify(COMMUNE));
  app = await startTestApp({ communesDir: join(tmp, 'communes'), extra: 'ingest:\n  batchMaxDelayMs: 5' });
  const ns = await connectDevice(app, 'gw');
  // Dragino's documented frame: 19.57 %, below hồ tiêu's 22 %: the tiêu plot is dry.
  const ev = upEvent(EUI.a, { fCnt: 1, fPort: 2, bytes: LSE01, ts: NOW });
  await ns.publishAsync(topic(EUI.a), JSON.stringify(ev), { qos: 1 });
  await ns.endAsync();
  await waitFor(
    async () =>
      (await app.store.query({ deviceId: 's-tieu', metric: 'soilMoisturePct', fromTs: NOW, toTs: NOW + 1 }))
        .length,
    'the tiêu reading stored',
    30_000,
  );
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const plot = (page: Page) => page.locator('.plot[data-site-id="vuon-tieu"]');
const statusOf = (page: Page) => plot(page).getAttribute('data-status');

async function openFarms(page: Page): Promise<void> {
  await page.click('.nav [data-nav="farms"]');
  await page.waitForSelector('.page-farms [data-loaded="true"]');
}

async function waitStatus(page: Page, status: string): Promise<void> {
  await page.waitForFunction(
    (s) => document.querySelector('.plot[data-site-id="vuon-tieu"]')?.getAttribute('data-status') === s,
    status,
    { timeout: 30_000 },
  );
}

describe('plot moisture bounds on the economics page', () => {
  it('refuses a bad bound beside its field, then saves: the mark follows, and back to the file (1280 px)', async () => {
    const { page, errors } = await signIn(browser, app, 'kinhte.vuon', 1280);
    await openFarms(page);
    expect(await statusOf(page)).toBe('dry');
    await plot(page).locator('.plot-thresholds summary').click();
    await page.fill('#thr-vuon-tieu-dry', '30');
    await page.fill('#thr-vuon-tieu-wet', '25');
    await plot(page).locator('button[type=submit]').click();
    const wetError = page.locator('#thr-vuon-tieu-wet-error');
    await wetError.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await wetError.textContent()).toBe('Ngưỡng quá ẩm phải lớn hơn ngưỡng quá khô (30 %).');
    expect(await statusOf(page)).toBe('dry');
    // A decimal comma, as a Vietnamese keyboard writes it.
    await page.fill('#thr-vuon-tieu-dry', '15,5');
    await page.fill('#thr-vuon-tieu-wet', '');
    await plot(page).locator('button[type=submit]').click();
    await waitStatus(page, 'ok');
    expect(await plot(page).locator('.plot-badge').textContent()).toBe('Đủ ẩm');
    expect(await plot(page).locator('.plot-bounds').textContent()).toContain('khô dưới 15,5 %');
    expect(await plot(page).locator('.plot-thresholds-note').textContent()).toMatch(
      /^Ngưỡng do kinhte\.vuon đặt lúc \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}; hồ sơ xã: khô dưới 22 %, úng trên 45 %$/,
    );
    await plot(page).locator('.plot-thresholds summary').click();
    await page.screenshot({ path: join(SHOTS, 'farm-thresholds-desktop.png'), fullPage: true });
    await plot(page).getByRole('button', { name: 'Dùng ngưỡng trong hồ sơ xã' }).click();
    await waitStatus(page, 'dry');
    expect(await plot(page).locator('.plot-thresholds-note').count()).toBe(0);
    expect(errors).toEqual([]);
  }, 120_000);

  it('fits a phone (390 px)', async () => {
    const { page, errors } = await signIn(browser, app, 'kinhte.vuon', 390);
    await openFarms(page);
    await plot(page).locator('.plot-thresholds summary').click();
    await page.fill('#thr-vuon-tieu-dry', '');
    await plot(page).locator('button[type=submit]').click();
    expect(await page.locator('#thr-vuon-tieu-dry-error').textContent()).toBe('Hãy nhập ngưỡng quá khô (%).');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await plot(page).screenshot({ path: join(SHOTS, 'farm-thresholds-phone.png') });
    expect(errors).toEqual([]);
  }, 90_000);

  it('refuses the police: no page, and the API answers 403', async () => {
    const { page } = await signIn(browser, app, 'congan.vuon', 1280);
    expect(await page.locator('.nav [data-nav="farms"]').count()).toBe(0);
    const status = await page.evaluate(
      async () =>
        (
          await fetch('/api/soil/plots/vuon-tieu/thresholds', {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ dryBelowPct: 5, wetAbovePct: null }),
          })
        ).status,
    );
    expect(status).toBe(403);
  }, 60_000);
});
