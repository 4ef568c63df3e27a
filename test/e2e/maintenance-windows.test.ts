/**
 * Browser test of the Bảo trì page's maintenance windows (Chromium): a technician's weekly window
 * over a hamlet is listed with how it repeats, that it holds now and the devices it covers (never
 * the camera), and the loudspeaker it put in maintenance says so on its own page.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VN_OFFSET_MS } from '../../services/alerts/windows/occurrences.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser, signIn } from '../setup/browser.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';

const SHOTS = join(tmpdir(), 'canhxa-windows-shots');
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startTestApp();
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

describe('maintenance windows in the dashboard', { timeout: 120_000 }, () => {
  it('lists a weekly hamlet window holding now, and the device page says it is in the window', async () => {
    const loa = await connectDevice(app, 'tl-loa-12');
    const beat = () => loa.publish('cx/v1/ta-lai/tl-loa-12/heartbeat', JSON.stringify({ v: 1 }), { qos: 1 });
    const pump = setInterval(beat, 250);
    beat();
    try {
      await waitFor(() => app.availability.get('tl-loa-12')?.state === 'up', 'the loudspeaker up', 45_000);
      const local = new Date(Date.now() - 60_000 + VN_OFFSET_MS);
      const at = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
      const cookie = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
      const res = await fetch(`${app.apiUrl}/api/maintenance/windows`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({
          scope: { kind: 'hamlet', id: 'tl-ap-12' },
          reason: 'Nhà thầu viễn thông bảo trì định kỳ',
          schedule: { kind: 'weekly', days: [WEEKDAYS[local.getUTCDay()]], at, durationMin: 240 },
        }),
      });
      expect(res.status).toBe(200);
      await waitFor(
        () => app.availability.get('tl-loa-12')?.state === 'maintenance',
        'the loudspeaker in the window',
      );

      const { page, errors } = await signIn(browser, app, 'kythuat.talai');
      await page.click('[data-nav=maintenance]');
      const card = page.locator('#maintenance-windows [data-window-id]');
      await card.first().waitFor();
      const text = (await card.first().textContent()) ?? '';
      expect(text).toContain('Nhà thầu viễn thông bảo trì định kỳ');
      expect(text).toMatch(new RegExp(`Hằng tuần \\(T\\d|CN\\) ${at}, 240 phút · Đang diễn ra đến`));
      expect(text).toContain('Cụm loa thông minh ấp 12');
      expect(text).not.toContain('Camera');
      await page.waitForSelector('#maintenance-now [data-device-id="tl-loa-12"]');
      expect(await page.locator('#maintenance-now [data-device-id="tl-loa-12"]').textContent()).toMatch(
        /Trong khung bảo trì đến/,
      );
      await page.screenshot({ path: join(SHOTS, 'maintenance-windows-1280.png'), fullPage: true });
      await page.goto(`${app.apiUrl}/#/devices/tl-loa-12`);
      await page.waitForSelector('#maintenance-info');
      expect(await page.locator('#maintenance-info').textContent()).toMatch(
        /Trong khung bảo trì đến \d{2}\/\d{2}/,
      );
      await page.screenshot({ path: join(SHOTS, 'device-in-window-1280.png') });
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      clearInterval(pump);
      await loa.endAsync(true);
    }
  });
});
