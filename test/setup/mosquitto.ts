import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Debian's mosquitto (2.0.11 in CI), standing in for a province's MQTT v5 broker cluster: on a free
 * loopback port, persistence and log in `dir`. A missing binary is a failure with the install
 * line, never a skip (STYLE.md §3).
 */
export const MOSQUITTO_BIN = process.env.CANHXA_MOSQUITTO ?? '/usr/sbin/mosquitto';
export const MOSQUITTO_INSTALL = 'apt-get update && apt-get install -y mosquitto';

export interface RunningMosquitto {
  readonly port: number;
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * `conf` is appended after the listener and persistence lines (e.g. the generated canhxa.conf).
 * With `tls`, the listener speaks MQTT over TLS with that certificate (and the url is mqtts://).
 */
export async function startMosquitto(
  dir: string,
  conf: string,
  tls?: { readonly certFile: string; readonly keyFile: string },
): Promise<RunningMosquitto> {
  if (!existsSync(MOSQUITTO_BIN))
    throw new Error(`mosquitto not found at ${MOSQUITTO_BIN}. Install it: ${MOSQUITTO_INSTALL}`);
  mkdirSync(join(dir, 'persistence'), { recursive: true });
  const port = await freePort();
  const file = join(dir, 'mosquitto.conf');
  writeFileSync(
    file,
    [
      `listener ${port} 127.0.0.1`,
      ...(tls ? [`certfile ${tls.certFile}`, `keyfile ${tls.keyFile}`] : []),
      'persistence true',
      `persistence_location ${join(dir, 'persistence')}/`,
      // Started as root, mosquitto would switch to the `mosquitto` user and lose our temp files.
      `user ${userInfo().username}`,
      // A file, not stdout: mosquitto block-buffers a redirected stdout until it exits.
      `log_dest file ${join(dir, 'mosquitto.log')}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      conf,
    ].join('\n'),
  );
  const logFile = join(dir, 'mosquitto.log');
  const child = spawn(MOSQUITTO_BIN, ['-c', file], {
    stdio: ['ignore', openSync(logFile, 'a'), openSync(logFile, 'a')],
  });
  const onExit = (): void => void child.kill('SIGKILL');
  process.once('exit', onExit);
  const output = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  await waitForPort(port, child, output);
  return {
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    output,
    async stop() {
      process.off('exit', onExit);
      await kill(child);
    },
  };
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}):\n${output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}:\n${output()}`);
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * External-broker mode in `dir` (its `communes/` already written): a service file whose broker url
 * is filled in once mosquitto runs (`writeConfig`), and the password, ACL and conf files that
 * `npm run mosquitto-config` writes from it into `generated`, for startMosquitto. `lines` are more
 * service settings; `external` more keys of `ingest.external` (e.g. `tls: { caFile: ca.pem }`).
 */
export function externalBrokerSetup(
  dir: string,
  opts: { lines?: readonly string[]; external?: string } = {},
): { configFile: string; writeConfig: (url: string) => void; generated: string } {
  const configFile = join(dir, 'canhxa.yaml');
  const writeConfig = (url: string) =>
    writeFileSync(
      configFile,
      [
        `dataDir: ${JSON.stringify(join(dir, 'data'))}`,
        `communesDir: ${JSON.stringify(join(dir, 'communes'))}`,
        'api: { port: 0 }',
        ...(opts.lines ?? []),
        'ingest:',
        '  source: external',
        '  batchMaxDelayMs: 50',
        `  external: { url: ${JSON.stringify(url)}, username: canhxa-ingest, password: "ingest-Secret-42", leaseTtlMs: 5000${opts.external ? `, ${opts.external}` : ''} }`,
      ].join('\n'),
    );
  // The broker's port is known only once it runs, and it needs the generated files first.
  writeConfig('mqtt://127.0.0.1:1');
  execFileSync(
    process.execPath,
    ['--import', 'tsx', 'services/cli/mosquitto-config.ts', '--config', configFile],
    {
      cwd: ROOT,
    },
  );
  return { configFile, writeConfig, generated: join(dir, 'data', 'mosquitto') };
}
