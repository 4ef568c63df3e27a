import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../services/shared/logger.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

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
});
