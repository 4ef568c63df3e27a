import { existsSync } from 'node:fs';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { ensureDashboard } from '../../services/api/dashboard-build.ts';
import { createLogger } from '../../services/shared/logger.ts';

/** Debian's Chromium (package `chromium`); .ci/run and test/setup/system-deps.sh install it. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * For browser tests: the dashboard built (the service's own staleness check, so a direct
 * `vitest run` after an edit serves the edit) and Debian's Chromium, headless, with the flags this
 * machine needs (no sandbox as root, no GPU, no background connections to a closed network).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing. Fix: apt-get install -y chromium`);
  const built = await ensureDashboard(createLogger({ level: 'silent' }));
  if (built === 'failed')
    throw new Error('the dashboard does not build. Fix: run node dashboard/build.mjs and read its error');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * A fresh browser context signed in as `username` on the dashboard (Vietnamese, Vietnam's time
 * zone, a phone's height below 500 px), with the page's uncaught errors collected: a test ends by
 * expecting none.
 */
export async function signIn(
  browser: Browser,
  app: { readonly apiUrl: string; readonly userPasswords: ReadonlyMap<string, string> },
  username: string,
  width = 1280,
  extra: BrowserContextOptions = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width, height: width < 500 ? 812 : 900 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    ...extra,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${app.apiUrl}/`);
  await page.fill('#username', username);
  await page.fill('#password', app.userPasswords.get(username)!);
  await page.click('.login-form button[type=submit]');
  await page.waitForSelector('.topbar .nav');
  return { page, errors };
}
