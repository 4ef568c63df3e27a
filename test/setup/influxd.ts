import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real InfluxDB 1.x server for the store tests, on free loopback ports with all its files in a
 * temp dir. The CI image installs Debian's package (1.6.7); a missing binary is a failure with the
 * install line, never a skip (STYLE.md §3).
 */
export const INFLUXD_BIN = process.env.CANHXA_INFLUXD ?? '/usr/bin/influxd';
export const INFLUXD_INSTALL = 'apt-get update && apt-get install -y influxdb';

export interface RunningInfluxd {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Process id, so a test can SIGSTOP/SIGCONT the server. */
  readonly pid: number;
  /** Kills the server and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** kill -9 the server, as a crash would; its files stay for restart(). */
  crash(): Promise<void>;
  /** Starts the server again on the same files and ports (after crash()). */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

export async function startInfluxd(): Promise<RunningInfluxd> {
  if (!existsSync(INFLUXD_BIN)) {
    throw new Error(`InfluxDB server not found at ${INFLUXD_BIN}. Install it: ${INFLUXD_INSTALL}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'canhxa-influxd-'));
  const [httpPort = 0, rpcPort = 0] = await freePorts(2);
  const configFile = join(dir, 'influxdb.conf');
  writeFileSync(configFile, configText(dir, httpPort, rpcPort));
  const logFile = join(dir, 'influxd.log');
  const url = `http://127.0.0.1:${httpPort}`;
  const spawnServer = (): ChildProcess =>
    spawn(INFLUXD_BIN, ['run', '-config', configFile], {
      stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
      // influxd lets INFLUXDB_* variables override the file; the test config must win.
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUXDB_'))),
    });
  let child = spawnServer();
  const stop = once(async () => {
    await kill(child);
    rmSync(dir, { recursive: true, force: true });
  });
  // A crashed test runner must not leave a server behind.
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  try {
    await waitForPing(url, child, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    get pid() {
      return child.pid ?? -1;
    },
    stop: async () => {
      process.off('exit', onExit);
      await stop();
    },
    crash: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    },
    restart: async () => {
      child = spawnServer();
      await waitForPing(url, child, logFile);
    },
  };
}

function configText(dir: string, httpPort: number, rpcPort: number): string {
  // Keys as in `influxd config` of 1.6.7. The admin UI was removed in 1.3, so there is no
  // [admin] section to disable; the internal monitor database is off so tests see only their own.
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`;
}

async function waitForPing(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `influxd exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.status === 204) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `influxd did not answer ${url}/ping within ${READY_TIMEOUT_MS} ms (${last}):\n${tail(logFile)}`,
  );
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // A test may have left it stopped (SIGSTOP); it cannot act on SIGTERM until continued.
  child.kill('SIGCONT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch (err) {
    return `(no log: ${(err as Error).message})`;
  }
}

function freePorts(n: number): Promise<number[]> {
  // Hold all listeners open until every port is known, so the n ports differ.
  const servers = Array.from({ length: n }, () => createServer());
  return Promise.all(
    servers.map(
      (s) =>
        new Promise<number>((resolve, reject) => {
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => {
            const addr = s.address();
            if (addr === null || typeof addr === 'string') reject(new Error('no port'));
            else resolve(addr.port);
          });
        }),
    ),
  ).finally(() => Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined))))));
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** Drops a test database; used as the conformance suite's cleanup. */
export async function dropDatabase(url: string, database: string): Promise<void> {
  const q = `DROP DATABASE "${database.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
  if (res.status !== 200) throw new Error(`${q}: HTTP ${res.status} ${await res.text()}`);
}
