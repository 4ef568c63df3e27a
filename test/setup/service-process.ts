import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly mqttUrl: string;
  /** Resolves with the exit code or signal. */
  readonly exited: Promise<number | string>;
  readonly output: () => string;
}

/**
 * Runs `services/main.ts` as its own process (as `npm start` does) and waits for "started".
 * `entry` runs another entry point the same way, e.g. `services/worker.ts` (whose apiUrl is null).
 */
export async function startServiceProcess(
  configFile: string,
  env: NodeJS.ProcessEnv = {},
  entry = 'services/main.ts',
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, VITEST: '', CANHXA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((r) =>
    child.once('exit', (code, signal) => r(code ?? signal ?? -1)),
  );
  const started = await new Promise<{ api: string; mqtt: string }>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), 90_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('"msg":"started"')) continue;
        clearTimeout(timer);
        const j = JSON.parse(line) as { api: string; mqtt: string };
        return resolvePromise(j);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then((code) => reject(new Error(`service exited (${code}) before start:\n${out}`)));
  });
  return { child, apiUrl: started.api, mqttUrl: started.mqtt, exited, output: () => out };
}

/**
 * Stops a process started with `detached: true` and everything under it (npm, then the service it
 * runs), and resolves once none of the group is left. Waiting for the leader alone is not enough:
 * npm exits on SIGTERM while the service is still closing its files, and a folder removed in that
 * moment fails with ENOTEMPTY. SIGKILL after `graceMs`; gives up waiting 5 s later (a container
 * whose init does not reap would keep an orphan's zombie in the group for ever).
 */
export async function stopProcessGroup(pid: number, graceMs = 20_000): Promise<void> {
  // false once no process of the group is left (ESRCH).
  const signal = (sig: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pid, sig);
      return true;
    } catch {
      return false;
    }
  };
  if (!signal('SIGTERM')) return;
  const end = Date.now() + graceMs;
  while (signal(0) && Date.now() < end + 5_000) {
    if (Date.now() > end) signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function readDeviceSecrets(dataDir: string): Map<string, string> {
  return new Map(
    Object.entries(
      JSON.parse(readFileSync(resolve(dataDir, 'device-secrets.json'), 'utf8')) as Record<string, string>,
    ),
  );
}

/**
 * A loopback port free right now, for a config that must keep its ports across a restart (a
 * service restarted on port 0 would move, and its devices would not find it).
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolvePort(a.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Writes `<dataDir>/canhxa.yaml` for a service process on the sample communes, with `extra` YAML
 * lines (ports, batching) after the folders; returns its path.
 */
export function writeServiceConfig(dataDir: string, extra: readonly string[]): string {
  const file = join(dataDir, 'canhxa.yaml');
  const communesDir = resolve(import.meta.dirname, '../../config/communes');
  writeFileSync(
    file,
    [`dataDir: ${JSON.stringify(dataDir)}`, `communesDir: ${JSON.stringify(communesDir)}`, ...extra].join(
      '\n',
    ),
  );
  return file;
}

/** Sample-commune devices the process-level fault tests stream from (cameras, loudspeakers, Wi-Fi). */
export const STREAMING_DEVICE_IDS = [
  'tl-cam-01',
  'tl-cam-02',
  'tl-loa-01',
  'tl-loa-02',
  'tl-wifi-ubnd',
  'tl-wifi-tyt',
  'tl-loa-03',
  'tl-loa-04',
] as const;

/** The `seqNo` readings a stopped service left in its SQLite file, as "device@ts" keys (one per row). */
export function storedSeqKeys(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'readings.sqlite'), { readonly: true });
  try {
    const rows = db.prepare("SELECT device_id AS d, ts FROM readings WHERE metric = 'seqNo'").all() as Array<{
      d: string;
      ts: number;
    }>;
    return rows.map((r) => `${r.d}@${r.ts}`);
  } finally {
    db.close();
  }
}
