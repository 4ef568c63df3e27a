import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { type RunningApp, startApp } from '../../services/app.ts';
import type { ClientLimits } from '../../services/broker/client-budget.ts';
import type { Logger } from '../../services/shared/logger.ts';

export const SAMPLE_COMMUNES_DIR = resolve(import.meta.dirname, '../../config/communes');
/** The province user every test app has (service file `users:`), as in config/canhxa.yaml. */
export const PROVINCE_USER = 'tinh.dongnai';

let appsStarted = 0;

/** Whether nothing listens on host:port yet (a listener of another test app would be there). */
export function freeAt(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * The sample communes, copied into `dir` with their probe targets moved off 127.20.x.y (Tà Lài)
 * and 127.21.x.y (Lộc Tấn) onto a pair of loopback /16s no other test app of this run is using:
 * every app probes its targets, and with the simulator on, listens there as their stand-ins, so two
 * apps in parallel test files would otherwise answer (or refuse) each other's probes.
 */
async function sampleCommunesApart(dir: string): Promise<string> {
  let a = 0;
  for (let tries = 0; tries < 50; tries++) {
    a = 30 + 2 * ((process.pid * 7 + appsStarted++ * 2 + tries) % 110);
    if ((await freeAt(`127.${a}.0.1`, 8080)) && (await freeAt(`127.${a + 1}.0.1`, 8080))) break;
  }
  const out = join(dir, 'communes');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(SAMPLE_COMMUNES_DIR).filter((n) => n.endsWith('.yaml')))
    writeFileSync(
      join(out, f),
      readFileSync(join(SAMPLE_COMMUNES_DIR, f), 'utf8')
        .replaceAll('127.20.', `127.${a}.`)
        .replaceAll('127.21.', `127.${a + 1}.`),
    );
  return out;
}

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
    /**
     * Keep the first-start rule that a generated password must be changed at first sign-in. Off by
     * default: the tests sign in as people who have already chosen theirs (the generated ones stay
     * valid), so only the tests of that rule meet it.
     */
    firstSignIn?: boolean;
  } = {},
): Promise<TestApp> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'cx-test-'));
  const file = join(dataDir, 'canhxa.yaml');
  const communesDir = opts.communesDir ?? (await sampleCommunesApart(dataDir));
  writeFileSync(
    file,
    [
      `dataDir: ${JSON.stringify(dataDir)}`,
      `communesDir: ${JSON.stringify(communesDir)}`,
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
  if (!opts.firstSignIn) app.users.acceptGeneratedPasswords();
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
