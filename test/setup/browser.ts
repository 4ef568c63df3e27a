import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
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
