import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { type RunningApp, startApp } from '../../services/app.ts';
import type { ClientLimits } from '../../services/broker/client-budget.ts';
import type { Logger } from '../../services/shared/logger.ts';

export const SAMPLE_COMMUNES_DIR = resolve(import.meta.dirname, '../../config/communes');
/** The province user every test app has (service file `users:`), as in config/canhxa.yaml. */
export const PROVINCE_USER = 'tinh.dongnai';

export interface TestApp extends RunningApp {
  /** Plain passwords of every sample user (fresh data folder, so all are generated). */
  readonly userPasswords: ReadonlyMap<string, string>;
  readonly dataDir: string;
}

/**
 * The real service on free loopback ports with a temp data folder, the sample communes (Tà Lài,
 * Lộc Tấn) and one province user.
 * `extra` is YAML merged into the service file (e.g. "ingest:\n  batchMaxDelayMs: 20").
 */
export async function startTestApp(
  opts: {
    simulator?: boolean;
    speed?: number;
    flakyShare?: number;
    communesDir?: string;
    extra?: string;
    dataDir?: string;
    /** mqtt.limits (per-client rate limits); the defaults otherwise. */
    limits?: Partial<ClientLimits>;
    clock?: () => number;
    log?: Logger;
  } = {},
): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cx-test-'));
  const file = join(dataDir, 'canhxa.yaml');
  writeFileSync(
    file,
    [
      `dataDir: ${JSON.stringify(dataDir)}`,
      `communesDir: ${JSON.stringify(opts.communesDir ?? SAMPLE_COMMUNES_DIR)}`,
      `mqtt: { port: 0, limits: ${JSON.stringify(opts.limits ?? {})} }`,
      'api: { port: 0 }',
      'availability: { checkIntervalMs: 100, aliveIntervalMs: 500 }',
      `users: [{ username: ${PROVINCE_USER}, name: "Trung tâm IOC tỉnh Đồng Nai", role: province }]`,
      `simulator: { enabled: ${opts.simulator ?? false}, speed: ${opts.speed ?? 20}, flakyShare: ${opts.flakyShare ?? 0} }`,
      opts.extra ?? '',
    ].join('\n'),
  );
  const config = loadConfig(file, {});
  const app = await startApp({
    config,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  return {
    ...app,
    userPasswords: app.generatedUserPasswords,
    dataDir,
    async stop() {
      await app.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { connectDevice } from './helpers.ts';

/** Signs in over HTTP and returns the session cookie. */
export async function login(
  app: Pick<TestApp, 'apiUrl'>,
  username: string,
  password: string,
): Promise<string> {
  const res = await fetch(`${app.apiUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: HTTP ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0]!;
}
