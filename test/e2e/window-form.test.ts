/**
 * The Bảo trì page's window form in Chromium (issue #14 item 2): a technician picks hamlet → site →
 * loudspeaker (the site's camera is not offered), plans a weekly window holding now, sees it listed
 * with its edit, end and delete buttons, and when both loudspeakers of the site fall silent the
 * alert engine opens an alert for the one outside the window and none for the one inside it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { VN_OFFSET_MS } from '../../services/alerts/windows/occurrences.ts';
import { communeDoc } from '../fixtures/mini-commune.ts';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser, signIn } from '../setup/browser.ts';
import { connectDevice, waitFor } from '../setup/helpers.ts';

const SHOTS = join(tmpdir(), 'canhxa-window-form-shots');
const COMMUNE = 'xa-khung';
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const liveness = { heartbeatIntervalSec: 1, graceSec: 2 };
let app: TestApp;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'cx-window-form-'));
  const communesDir = join(dataDir, 'communes');
  mkdirSync(communesDir);
  const doc = communeDoc({
    id: COMMUNE,
    hamlets: [{ id: 'kh-ap-3', name: 'Ấp 3' }],
    sites: [{ id: 'kh-cho', name: 'Chợ ấp 3', kind: 'key-point' }],
    devices: [
      { id: 'kh-loa-1', type: 'loudspeaker', name: 'Loa chợ ấp 3', liveness },
      { id: 'kh-loa-2', type: 'loudspeaker', name: 'Loa cổng chợ', liveness },
      { id: 'kh-cam-1', type: 'camera', name: 'Camera chợ ấp 3', liveness },
    ],
    users: [
      { username: 'kythuat.kh', name: 'Kỹ thuật viên', role: 'technician' },
      { username: 'congan.kh', name: 'Công an xã', role: 'police' },
      { username: 'lanhdao.kh', name: 'Lãnh đạo xã', role: 'leader' },
    ],
    extra: {
      alerts: {
        rules: [
          { id: 'loa-down', kind: 'down-for', minutes: 0, deviceTypes: ['loudspeaker'], severity: 'warning' },
        ],
      },
    },
  });
  writeFileSync(join(communesDir, `${COMMUNE}.yaml`), stringify(doc));
  app = await startTestApp({ dataDir, communesDir, extra: stringify({ alerts: { tickMs: 100 } }) });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('maintenance window form in Chromium', { timeout: 180_000 }, () => {
  it('a technician plans a weekly window for a loudspeaker; it is listed, and its silence opens no alert while the other speaker’s does', async () => {
    const speakers = await Promise.all(['kh-loa-1', 'kh-loa-2'].map((id) => connectDevice(app, id)));
    const beat = () => {
      for (const [i, c] of speakers.entries())
        c.publish(`cx/v1/${COMMUNE}/kh-loa-${i + 1}/heartbeat`, JSON.stringify({ v: 1 }), { qos: 1 });
    };
    const pump = setInterval(beat, 250);
    beat();
    try {
      await waitFor(
        () => ['kh-loa-1', 'kh-loa-2'].every((id) => app.availability.get(id)?.state === 'up'),
        'both loudspeakers up',
        45_000,
      );
      // A speaker not heard yet at start-up may have had an alert; only those opened later count.
      await waitFor(
        () => !app.alerting.engine.alerts.open().some((a) => a.deviceId.startsWith('kh-loa-')),
        'no open loudspeaker alert',
        45_000,
      );
      const lastId = () =>
        (app.db.prepare('SELECT MAX(id) AS id FROM alerts').get() as { id: number | null }).id ?? 0;
      const before = lastId();
      const { page, errors } = await signIn(browser, app, 'kythuat.kh');
      await page.click('[data-nav=maintenance]');
      await page.waitForSelector('#window-form');

      // Only what a technician sees: the site's loudspeakers, not its camera.
      await page.selectOption('#wf-site', 'kh-cho');
      const offered = await page
        .locator('#wf-device option')
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(offered).toEqual(['', 'kh-loa-1', 'kh-loa-2']);
      await page.selectOption('#wf-device', 'kh-loa-1');

      // A weekly window that began a minute ago (today's weekday, Vietnam time).
      const local = new Date(Date.now() - 60_000 + VN_OFFSET_MS);
      const at = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')}`;
      await page.check('#wf-kind-weekly');
      // The browser names what is missing beside the field before anything is sent.
      await page.fill('#wf-at', '25:00');
      await page.click('#wf-save');
      expect(await page.locator('#wf-at-error').textContent()).toContain('Giờ bắt đầu');
      expect(await page.locator('#wf-days-error').textContent()).toContain('ít nhất một ngày');
      expect(await page.locator('#wf-reason-error').textContent()).toContain('Ghi chú');
      await page.fill('#wf-at', at);
      await page.check(`#wf-day-${WEEKDAYS[local.getUTCDay()]}`);
      await page.fill('#wf-duration', '240');
      await page.fill('#wf-reason', 'Thay bộ khuếch đại loa chợ');
      await page.click('#wf-save');
      await page.waitForSelector('#window-saved:not([hidden])');

      const card = page.locator('#maintenance-windows [data-window-id]', {
        hasText: 'Thay bộ khuếch đại loa chợ',
      });
      await card.waitFor();
      const text = (await card.textContent()) ?? '';
      expect(text).toContain('Loa chợ ấp 3');
      expect(text).toMatch(new RegExp(`Hằng tuần \\((T\\d|CN)\\) ${at}, 240 phút · Đang diễn ra đến`));
      for (const action of ['edit-window', 'end-window', 'remove-window'])
        expect(await card.locator(`[data-action="${action}"]`).count(), action).toBe(1);
      await waitFor(
        () => app.availability.get('kh-loa-1')?.state === 'maintenance',
        'the loudspeaker in its window',
        45_000,
      );

      // Both fall silent: the speaker outside the window gets its alert, the one inside none.
      const cutTs = Date.now();
      clearInterval(pump);
      await Promise.all(speakers.map((c) => c.endAsync(true)));
      await waitFor(
        () => app.alerting.engine.alerts.open().find((a) => a.deviceId === 'kh-loa-2' && a.sinceTs >= cutTs),
        'the alert of the speaker outside the window',
        45_000,
      );
      expect(app.availability.get('kh-loa-1')?.state).toBe('maintenance');
      const inside = app.db
        .prepare("SELECT COUNT(*) AS n FROM alerts WHERE device_id = 'kh-loa-1' AND id > ?")
        .get(before) as { n: number };
      expect(inside.n, JSON.stringify(app.db.prepare('SELECT * FROM alerts').all())).toBe(0);

      // Edit: the form comes back filled in; four more hours keep the speaker in until the new end.
      await card.locator('[data-action="edit-window"]').click();
      expect(await page.locator('#wf-kind-weekly').isChecked()).toBe(true);
      expect(await page.inputValue('#wf-at')).toBe(at);
      expect(await page.inputValue('#wf-device')).toBe('kh-loa-1');
      await page.screenshot({ path: join(SHOTS, 'window-form-edit-1280.png'), fullPage: true });
      await page.fill('#wf-duration', '480');
      await page.click('#wf-save');
      await expect.poll(() => card.textContent(), { timeout: 30_000 }).toContain(`${at}, 480 phút`);
      const held = app.db
        .prepare("SELECT until_ts AS untilTs FROM device_maintenance WHERE device_id = 'kh-loa-1'")
        .get() as { untilTs: number };
      const startTs = Date.parse(`${local.toISOString().slice(0, 16)}:00Z`) - VN_OFFSET_MS;
      expect(held.untilTs).toBe(startTs + 480 * 60_000);
      expect(app.availability.get('kh-loa-1')?.state).toBe('maintenance');

      await page.reload();
      await card.waitFor();
      await page.screenshot({ path: join(SHOTS, 'window-form-1280.png'), fullPage: true });
      await page.setViewportSize({ width: 390, height: 812 });
      await card.waitFor();
      // Phone: nothing wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, 'window-form-390.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      clearInterval(pump);
      await Promise.all(speakers.map((c) => c.endAsync(true)));
    }
  });

  it('the police plan a one-off window for the camera from the form (only cameras offered); a leader reads the windows without a form', async () => {
    const { page, errors } = await signIn(browser, app, 'congan.kh', 390);
    await page.goto(`${app.apiUrl}/#/maintenance`);
    await page.waitForSelector('#window-form');
    await page.selectOption('#wf-site', 'kh-cho');
    const offered = await page
      .locator('#wf-device option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toEqual(['', 'kh-cam-1']);
    await page.selectOption('#wf-device', 'kh-cam-1');
    // The form starts at the next full hour for two hours; an end before the start is named.
    const from = await page.inputValue('#wf-from-date');
    expect(from).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    await page.fill('#wf-to-date', '01/01/2026');
    await page.fill('#wf-reason', 'Chỉnh góc camera chợ');
    await page.click('#wf-save');
    expect(await page.locator('#wf-to-error').textContent()).toContain('phải sau thời điểm bắt đầu');
    await page.fill('#wf-to-date', from);
    await page.fill('#wf-to-time', '23:59');
    await page.fill('#wf-from-time', '23:00');
    await page.click('#wf-save');
    const card = page.locator('#maintenance-windows [data-window-id]', { hasText: 'Chỉnh góc camera chợ' });
    await card.waitFor();
    expect(await card.textContent()).toMatch(
      new RegExp(`Một lần Từ ${from} 23:00 đến ${from} 23:59 · Lần tới: ${from} 23:00`),
    );
    expect(await card.textContent()).toContain('1 thiết bị: Camera chợ ấp 3');
    await page.screenshot({ path: join(SHOTS, 'window-form-police-390.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();

    const leader = await signIn(browser, app, 'lanhdao.kh');
    await leader.page.click('[data-nav=maintenance]');
    await leader.page.waitForSelector('#maintenance-windows .maint-card, #maintenance-windows .empty');
    expect(await leader.page.locator('#window-form').count()).toBe(0);
    const seen = (await leader.page.locator('#maintenance-windows').textContent()) ?? '';
    expect(seen).not.toContain('Chỉnh góc camera');
    expect(seen).not.toContain('Camera chợ');
    expect(leader.errors).toEqual([]);
    await leader.page.context().close();
  });
});
