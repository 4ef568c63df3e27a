import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser, signIn as signInAs } from '../setup/browser.ts';

const SHOTS = join(tmpdir(), 'canhxa-outages-shots');
/** Tà Lài's fibre line at the ấp 4 community house; its Wi-Fi AP and loudspeakers sit behind it. */
const LINE = 'tl-net-nvh-ap04';
const BEHIND = ['tl-loa-04', 'tl-wifi-nvh-ap04'];

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startTestApp({ simulator: true, speed: 20 });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const signIn = (username: string, width: number) => signInAs(browser, app, username, width);

describe('technicians’ page (Sự cố)', () => {
  it('shows a line that stops answering as one cause with the devices behind it, live', async () => {
    const { page, errors } = await signIn('kythuat.talai', 1280);
    await page.click('.nav [data-nav="outages"]');
    await page.waitForSelector('.outage-list[data-loaded="true"]');
    expect(await page.locator('h1').textContent()).toBe('Sự cố');
    // The line answers first, so what follows is this test's doing.
    await expect
      .poll(() => page.locator(`.uplink[data-device-id="${LINE}"] .state-badge`).getAttribute('class'), {
        timeout: 60_000,
      })
      .toContain('state-up');

    // The line's stand-in stops listening, and with it those of the devices behind it (they are
    // cut off as on a real network): one cause, its devices unreachable behind it.
    await app.probeStandIns!.goOffline(LINE, { slow: false });
    const card = page.locator(`.outage[data-cause-id="${LINE}"]`);
    await card.waitFor({ timeout: 90_000 });
    await expect
      .poll(() => card.getAttribute('data-behind'), { timeout: 150_000 })
      .toBe(String(BEHIND.length));
    expect(await card.getAttribute('data-state')).toBe('down');
    expect(
      await card
        .locator('.outage-device')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-device-id')).sort()),
    ).toEqual(BEHIND);
    // Not N outages: the devices behind the line head no card of their own.
    for (const id of BEHIND) expect(await page.locator(`.outage[data-cause-id="${id}"]`).count()).toBe(0);
    const text = (await card.textContent()) ?? '';
    expect(text).toContain('Đường truyền cáp quang Nhà văn hóa ấp 4');
    expect(text).toContain('Ấp 4');
    expect(text).toMatch(/Từ \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
    expect(text).toMatch(/Đường truyền internet .* mất kết nối/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: join(SHOTS, 'outages-desktop.png'), fullPage: true });

    // The line's charts open in place.
    await page.click(`.uplink[data-device-id="${LINE}"] summary`);
    await page.waitForSelector(`.uplink[data-device-id="${LINE}"] .charts-grid > *`);
    await page.context().close();
    expect(errors).toEqual([]);

    const phone = await signIn('kythuat.talai', 390);
    await phone.page.goto(`${app.apiUrl}/#/outages`);
    await phone.page.locator(`.outage[data-cause-id="${LINE}"]`).waitFor();
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await phone.page.screenshot({ path: join(SHOTS, 'outages-390.png'), fullPage: true });
    await phone.page.context().close();
    expect(phone.errors).toEqual([]);
    await app.probeStandIns!.comeBack(LINE);
  }, 300_000);

  it('refuses the page to the police: no link, a refusal on the page, 403 from the API', async () => {
    const { page, errors } = await signIn('congan.talai', 1280);
    expect(await page.locator('.nav [data-nav="outages"]').count()).toBe(0);
    await page.goto(`${app.apiUrl}/#/outages`);
    await page.waitForSelector('.content .empty');
    expect(await page.locator('.outage-list').count()).toBe(0);
    expect(await page.evaluate(async () => (await fetch('/api/outages')).status)).toBe(403);
    await page.context().close();
    expect(errors).toEqual([]);
  });
});
