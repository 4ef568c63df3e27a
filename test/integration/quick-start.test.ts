import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, stopProcessGroup } from '../setup/service-process.ts';

/**
 * The README's first line, `npm ci && npm start`, on a fresh clone: the files git would give
 * (tracked, plus new ones not ignored, so this runs before a commit too), node_modules linked from
 * this checkout (`npm ci` is what installs it), and no dashboard/dist (git-ignored: `pretest` built
 * the one here, a clone has none). Then the README's own command, `npm start`, stdout not a terminal.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const clone = mkdtempSync(join(tmpdir(), 'cx-clone-'));
const dataDir = join(clone, 'data-elsewhere');
let child: ChildProcess | undefined;
let stdout = '';
let dashboardUrl = '';
let apiPort = 0;

function copyCheckout(): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && f !== 'node_modules');
  for (const f of files) {
    // Deleted in the working tree but not yet in the index: a commit would not have it either.
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(clone, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
}

beforeAll(async () => {
  copyCheckout();
  expect(existsSync(join(clone, 'dashboard/dist')), 'a fresh clone has no built dashboard').toBe(false);
  apiPort = await freePort();
  const mqttPort = await freePort();
  // Its own process group, so the test can stop npm and the service under it together.
  child = spawn('npm', ['start'], {
    cwd: clone,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      VITEST: '',
      CANHXA_DATA_DIR: dataDir,
      CANHXA_API_PORT: String(apiPort),
      CANHXA_MQTT_PORT: String(mqttPort),
      CANHXA_LOG_LEVEL: 'warn',
    },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  dashboardUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no dashboard URL printed:\n${stdout}\n${stderr}`)),
      90_000,
    );
    child!.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      const url = /Dashboard:\s+(http:\/\/\S+)/.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolveUrl(url);
      }
    });
    child!.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${stdout}\n${stderr}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child?.pid !== undefined) await stopProcessGroup(child.pid);
  rmSync(clone, { recursive: true, force: true, maxRetries: 5 });
}, 60_000);

describe('quick start on a fresh clone: npm start', () => {
  it('serves the dashboard at the URL it prints, with its script bundle', async () => {
    expect(dashboardUrl).toBe(`http://127.0.0.1:${apiPort}/`);
    const page = await fetch(dashboardUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('<title>Canh Xã</title>');
    const script = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
    expect(script, 'the page names its bundle').toBeTruthy();
    const bundle = await fetch(new URL(script!, dashboardUrl));
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await bundle.text()).length).toBeGreaterThan(10_000);
  });

  it('prints no password when stdout is not a terminal, only where they are and how to read them', () => {
    const file = join(dataDir, 'initial-passwords.txt');
    const passwords = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t')[2]!);
    expect(passwords.length).toBeGreaterThan(0);
    for (const pw of passwords) expect(stdout.includes(pw), 'a password was printed').toBe(false);
    expect(stdout).toContain('initial-passwords.txt');
    expect(stdout).toMatch(/Read them with:\s+cat \S*initial-passwords\.txt/);
  });
});
