import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/shared/logger.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';
import { stopProcessGroup, writeServiceConfig } from '../setup/service-process.ts';

let app: TestApp;
let logText = '';
const sink = new Writable({
  write(chunk, _enc, cb) {
    logText += chunk.toString();
    cb();
  },
});

beforeAll(async () => {
  app = await startTestApp({
    log: createLogger({ level: 'debug', destination: sink }),
    simulator: true,
    speed: 50,
  });
});
afterAll(async () => {
  await app?.stop();
});

describe('secrets never reach the log', () => {
  it('logs refusals and logins at debug level without any password, hash or session token', async () => {
    const wrong = 'sai-mat-khau-thiet-bi';
    const c = mqtt.connect(app.mqttUrl, {
      clientId: 'tl-cam-03',
      username: 'tl-cam-03',
      password: wrong,
      reconnectPeriod: 0,
    });
    await new Promise((r) => c.once('error', r));
    c.end(true);
    const cookie = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
    await fetch(`${app.apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'quantri.talai', password: 'doan-sai-mat-khau' }),
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(logText).toMatch(/bad-password/);
    expect(logText).toMatch(/login failed/);
    const secrets = [
      wrong,
      'doan-sai-mat-khau',
      cookie.split('=')[1]!,
      ...app.devicePasswords.values(),
      ...app.userPasswords.values(),
    ];
    for (const s of secrets) expect(logText.includes(s), `a secret appears in the log`).toBe(false);
    expect(logText).not.toMatch(/scrypt\$|sha256\$/);
  });

  it('masks a user name that names no device or account (a password typed in the wrong field)', async () => {
    // An installer typing the device password into the MQTT user-name field, a person typing theirs
    // into the login form's user-name field: neither name is known, so neither may be kept whole.
    const mqttTypo = 'Mat-Khau-Go-Nham-MQTT-7';
    const c = mqtt.connect(app.mqttUrl, {
      clientId: 'Client-Go-Nham-9',
      username: mqttTypo,
      password: 'x',
      reconnectPeriod: 0,
    });
    await new Promise((r) => c.once('error', r));
    c.end(true);
    const loginTypo = 'matkhaunham-dang-nhap-5';
    const failed = await fetch(`${app.apiUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: loginTypo, password: 'y' }),
    });
    expect(failed.status).toBe(401);
    const failedText = await failed.text();
    const cookie = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
    const rejects = await fetch(`${app.apiUrl}/api/ingest/rejects?limit=500`, { headers: { cookie } });
    expect(rejects.status).toBe(200);
    const rejectsText = await rejects.text();
    // The refusal is there, with the masked name, before we look for what must not be.
    expect(rejectsText).toContain('unknown-client');
    expect(rejectsText).toContain('Ma…(23)');
    await expect.poll(() => logText).toMatch(/"username":"ma…\(23\)"[^\n]*"msg":"login failed"/);
    for (const typed of [mqttTypo, 'Client-Go-Nham-9', loginTypo]) {
      for (const [where, text] of [
        ['log', logText],
        ['reject log (API)', rejectsText],
        ['login answer', failedText],
      ] as const)
        expect(text.toLowerCase().includes(typed.toLowerCase()), `${typed} in the ${where}`).toBe(false);
    }
    // A known account's name is still logged whole: the log must stay useful.
    expect(logText).toMatch(/"username":"quantri\.talai"[^\n]*"msg":"login failed"/);
  });
});

/**
 * `npm start`'s entry point on a terminal: util-linux `script` gives it a pseudo-terminal, so
 * process.stdout.isTTY is true as for a person at a console. Resolves with everything printed up to
 * the end of the start-up banner; the process is then stopped.
 */
async function startOnTerminal(configFile: string): Promise<string> {
  const root = resolve(import.meta.dirname, '../..');
  const cmd = `'${process.execPath}' --import tsx services/main.ts --config '${configFile}'`;
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VITEST: '', CANHXA_LOG_LEVEL: 'warn' },
  });
  let out = '';
  const exited = new Promise((r) => child.once('exit', r));
  try {
    return await new Promise<string>((resolveOut, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up banner:\n${out}`)), 60_000);
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        // The banner's last line: the passwords' (first start) or the file's (later starts).
        if (/Change the passwords, then delete that file|Read them with/.test(out)) {
          clearTimeout(timer);
          resolveOut(out);
        }
      });
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      void exited.then(() => reject(new Error(`exited before start:\n${out}`)));
    });
  } finally {
    if (child.pid !== undefined) await stopProcessGroup(child.pid);
    await exited;
  }
}

describe('initial passwords on the console', () => {
  it('are printed to a terminal at the start that generated them, and never at a later start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cx-tty-'));
    try {
      const config = writeServiceConfig(dataDir, ['mqtt: { port: 0 }', 'api: { port: 0 }']);
      const first = await startOnTerminal(config);
      const passwords = readFileSync(join(dataDir, 'initial-passwords.txt'), 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split('\t')[2]!);
      expect(passwords.length).toBeGreaterThan(0);
      for (const pw of passwords) expect(first).toContain(pw);
      const later = await startOnTerminal(config);
      for (const pw of passwords) expect(later.includes(pw), 'a password printed again').toBe(false);
      expect(later).toMatch(/cat \S*initial-passwords\.txt/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
