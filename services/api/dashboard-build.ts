import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../shared/logger.ts';

const REPO = resolve(import.meta.dirname, '../..');
/** The built dashboard the API serves at `/` (dashboard/build.mjs writes it). */
export const DASHBOARD_DIST = join(REPO, 'dashboard', 'dist');
const BUILD_SCRIPT = join(REPO, 'dashboard', 'build.mjs');

/**
 * Why dist/ must be (re)built, or null when it is current: missing, or older than one of the files
 * that went into it (dist/inputs.json, from esbuild's metafile: the dashboard's sources and the
 * shared modules it bundles, such as the i18n catalogue).
 */
export function staleReason(dist = DASHBOARD_DIST, repo = REPO): string | null {
  const bundle = join(dist, 'app.js');
  if (!existsSync(join(dist, 'index.html')) || !existsSync(bundle)) return 'not built';
  let inputs: string[];
  try {
    inputs = JSON.parse(readFileSync(join(dist, 'inputs.json'), 'utf8')) as string[];
  } catch {
    return 'built without a list of its sources';
  }
  const builtMs = statSync(bundle).mtimeMs;
  for (const input of inputs) {
    const file = join(repo, input);
    if (!existsSync(file)) return `${input} is gone`;
    if (statSync(file).mtimeMs > builtMs) return `${input} changed since the build`;
  }
  return null;
}

/**
 * Builds the dashboard when dist/ is missing or stale, so `npm start` on a fresh clone serves it
 * (`npm ci` does not build it). esbuild is a runtime dependency. An image without the sources
 * (the Dockerfile copies only dist/) keeps what it has. A failed build is logged and the service
 * starts anyway: the API answers `/` with 503 and the command to run until a dashboard appears.
 */
export async function ensureDashboard(log: Logger): Promise<'current' | 'built' | 'no-sources' | 'failed'> {
  const why = staleReason();
  if (why === null) return 'current';
  if (!existsSync(BUILD_SCRIPT) || !existsSync(join(REPO, 'dashboard', 'src', 'main.ts')))
    return 'no-sources';
  const started = Date.now();
  try {
    // Its own process, as `npm run build:dashboard` runs it: the same code path as CI and the image.
    await promisify(execFile)(process.execPath, [BUILD_SCRIPT], { cwd: REPO, timeout: 120_000 });
    log.info({ why, ms: Date.now() - started }, 'dashboard built');
    return 'built';
  } catch (err) {
    log.error({ err, why }, 'dashboard build failed; run npm run build:dashboard');
    return 'failed';
  }
}
