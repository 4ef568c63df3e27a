/**
 * Issue #17 in Chromium: the forced password change at first sign-in, changing one's own password
 * (a weak one refused with its reason beside the field), the admins' audit page (filter, pages,
 * export link), maintenance with a reason, a planned end and a confirmation, at 1280 and 390 px.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../setup/app.ts';
import { launchBrowser } from '../setup/browser.ts';

const SHOTS = join(resolve(import.meta.dirname, '../..'), 'test-results');
const STRONG = 'Hoa sen nở trong ao làng 1975';

let app: TestApp;
let browser: Browser;
const pageErrors = new WeakMap<Page, string[]>();

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  app = await startTestApp({ firstSignIn: true });
  browser = await launchBrowser();
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

async function openPage(width: number): Promise<Page> {
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
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${app.apiUrl}/`);
  return page;
}

async function done(page: Page): Promise<void> {
  await page.context().close();
  expect(pageErrors.get(page) ?? [], 'uncaught errors in the page').toEqual([]);
}

async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('.login-form button[type=submit]');
}

/** First sign-in: the forced change, then the dashboard. */
async function firstSignIn(page: Page, username: string, newPassword: string, shot?: string): Promise<void> {
  await submitLogin(page, username, app.userPasswords.get(username)!);
  await page.waitForSelector('#forced-change');
  if (shot) await page.screenshot({ path: join(SHOTS, shot) });
  await page.fill('#current-password', app.userPasswords.get(username)!);
  await page.fill('#new-password', newPassword);
  await page.fill('#new-password-again', newPassword);
  await page.click('.password-form button[type=submit]');
  await page.waitForSelector('.topbar .nav', { timeout: 20_000 });
}

describe('passwords in the dashboard', { timeout: 120_000 }, () => {
  it('asks for a new password at first sign-in, refusing a weak one with its reason, then opens the dashboard', async () => {
    for (const width of [390, 1280]) {
      const username = width === 390 ? 'kinhte.talai' : 'kythuat.talai';
      const page = await openPage(width);
      await submitLogin(page, username, app.userPasswords.get(username)!);
      await page.waitForSelector('#forced-change');
      expect(await page.locator('.topbar').count()).toBe(0);
      await page.fill('#current-password', app.userPasswords.get(username)!);
      await page.fill('#new-password', 'matkhau2024');
      await page.fill('#new-password-again', 'matkhau2024');
      await page.click('.password-form button[type=submit]');
      const reason = page.locator('#new-password-error');
      await reason.waitFor({ state: 'visible', timeout: 20_000 });
      expect(await reason.textContent()).toMatch(/quá dễ đoán/);
      await page.screenshot({ path: join(SHOTS, `forced-change-refused-${width}.png`) });
      await page.fill('#new-password', STRONG);
      await page.fill('#new-password-again', STRONG);
      await page.click('.password-form button[type=submit]');
      await page.waitForSelector('.topbar .nav', { timeout: 20_000 });
      await done(page);
    }
  });

  it("changes one's own password on the account page; the old one then fails", async () => {
    const page = await openPage(1280);
    await submitLogin(page, 'kythuat.talai', STRONG);
    await page.waitForSelector('.topbar .nav');
    await page.click('.topbar a.user');
    await page.waitForSelector('.page-account');
    await page.fill('#current-password', 'sai-mat-khau-hien-tai');
    await page.fill('#new-password', 'Ruộng lúa chín vàng bên sông');
    await page.fill('#new-password-again', 'Ruộng lúa chín vàng bên sông');
    await page.click('.password-form button[type=submit]');
    await page.locator('#current-password-error').waitFor({ state: 'visible', timeout: 20_000 });
    expect(await page.locator('#current-password-error').textContent()).toBe('Mật khẩu hiện tại không đúng.');
    await page.fill('#current-password', STRONG);
    await page.click('.password-form button[type=submit]');
    await page.locator('#password-changed').waitFor({ state: 'visible', timeout: 20_000 });
    await page.screenshot({ path: join(SHOTS, 'account-1280.png') });
    await done(page);
    const again = await openPage(390);
    await submitLogin(again, 'kythuat.talai', STRONG);
    await again.locator('#login-error').waitFor({ state: 'visible', timeout: 20_000 });
    await submitLogin(again, 'kythuat.talai', 'Ruộng lúa chín vàng bên sông');
    await again.waitForSelector('.topbar .nav');
    await again.click('.topbar a.account-link');
    await again.waitForSelector('.page-account');
    await again.screenshot({ path: join(SHOTS, 'account-390.png'), fullPage: true });
    await done(again);
  });
});

describe('maintenance and the audit page', { timeout: 120_000 }, () => {
  it('puts a device in maintenance with a reason, a planned end and a confirmation, and lists it', async () => {
    const page = await openPage(1280);
    await submitLogin(page, 'kythuat.talai', 'Ruộng lúa chín vàng bên sông');
    await page.waitForSelector('.topbar .nav');
    await page.goto(`${app.apiUrl}/#/devices/tl-wifi-ubnd`);
    await page.click('[data-action=maintenance]');
    await page.fill('#maintenance-reason', 'Thay bộ nguồn điểm phát Wi-Fi');
    await page.click('.maint-form button[type=submit]');
    await page.waitForSelector('#maintenance-confirm:not([hidden])');
    expect(await page.locator('#maintenance-confirm').textContent()).toMatch(
      /Chuyển .* sang bảo trì từ bây giờ đến/,
    );
    await page.screenshot({ path: join(SHOTS, 'maintenance-confirm-1280.png') });
    await page.click('[data-action=maintenance-confirm]');
    await page.waitForSelector('#maintenance-info', { timeout: 20_000 });
    expect(await page.locator('#maintenance-info').textContent()).toMatch(/Đặt bởi kythuat\.talai/);
    await page.click('[data-nav=maintenance]');
    await page.waitForSelector('#maintenance-now [data-device-id="tl-wifi-ubnd"]');
    await page.screenshot({ path: join(SHOTS, 'maintenance-1280.png') });
    await done(page);
  });

  it('shows admins the audit log, filtered by action, with pages and a CSV link, at 1280 and 390 px', async () => {
    for (const width of [1280, 390]) {
      const page = await openPage(width);
      if (width === 1280) await firstSignIn(page, 'quantri.talai', 'Cây đa đầu làng có tổ chim sáo');
      else {
        await submitLogin(page, 'quantri.talai', 'Cây đa đầu làng có tổ chim sáo');
        await page.waitForSelector('.topbar .nav');
      }
      await page.goto(`${app.apiUrl}/#/audit`);
      await page.waitForSelector('#audit-filters select#audit-action');
      await page.selectOption('#audit-action', 'maintenance-on');
      await page.click('#audit-filters button[type=submit]');
      await page.waitForSelector('tr[data-action="maintenance-on"]');
      expect(await page.locator('tbody tr').count()).toBe(1);
      expect(await page.locator('tbody tr').textContent()).toMatch(
        /kythuat\.talai.*Bắt đầu bảo trì.*tl-wifi-ubnd.*Thay bộ nguồn/,
      );
      expect(await page.locator('#audit-export').getAttribute('href')).toBe(
        '/api/audit/export?action=maintenance-on&lang=vi',
      );
      expect(await page.locator('#audit-count').textContent()).toMatch(/Trang 1\/1 · 1 mục/);
      await page.selectOption('#audit-action', '');
      await page.click('#audit-filters button[type=submit]');
      await page.waitForSelector('tr[data-action="password-change"]');
      await page.screenshot({ path: join(SHOTS, `audit-${width}.png`), fullPage: width < 500 });
      await done(page);
    }
  });
});
