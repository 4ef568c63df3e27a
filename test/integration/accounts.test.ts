/**
 * Issue #17: people change their own passwords (strength rule, other sessions ended), a generated
 * password must be changed at first sign-in, admins reset and lock accounts, what the dashboard
 * changes outlives a restart, and an admin rotates a device's MQTT password (the old one refused
 * at once, its connection closed). Every change is in the audit log; no answer carries a hash.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startTestApp, type TestApp } from '../setup/app.ts';
import { tryConnect, waitFor } from '../setup/helpers.ts';

let app: TestApp;
// Ours, so that the restart below finds the same database (a test app removes only its own folder).
const dataDir = mkdtempSync(join(tmpdir(), 'cx-accounts-'));
const STRONG = 'Hoa sen nở trong ao làng 1975';

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: each answer is checked field by field (toMatchObject)
  json: any;
  cookie: string | undefined;
}

async function call(method: string, path: string, cookie?: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${app.apiUrl}${path}`, {
    method,
    headers: {
      ...(cookie ? { cookie } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  expect(text, `${method} ${path}`).not.toMatch(/scrypt\$|sha256\$/);
  return {
    status: res.status,
    json: text ? JSON.parse(text) : null,
    cookie: res.headers.get('set-cookie')?.split(';')[0],
  };
}

async function signIn(username: string, password: string): Promise<Answer> {
  return call('POST', '/api/auth/login', undefined, { username, password });
}

async function cookieOf(username: string, password: string): Promise<string> {
  const a = await signIn(username, password);
  expect(a.status, JSON.stringify(a.json)).toBe(200);
  return a.cookie!;
}

const initial = (u: string) => app.userPasswords.get(u)!;

beforeAll(async () => {
  app = await startTestApp({ firstSignIn: true, dataDir, extra: 'ingest: { batchMaxDelayMs: 20 }' });
}, 180_000);
afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('first sign-in with a generated password', { timeout: 120_000 }, () => {
  it('limits the session to choosing a new password, then opens everything', async () => {
    const login = await signIn('kythuat.talai', initial('kythuat.talai'));
    expect(login.status).toBe(200);
    expect(login.json.user).toMatchObject({ username: 'kythuat.talai', mustChange: true });
    const cookie = login.cookie!;
    const refused = await call('GET', '/api/devices', cookie);
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({
      code: 'CX_PASSWORD_CHANGE_REQUIRED',
      message: expect.stringMatching(/mật khẩu mới/),
    });
    expect((await call('GET', '/api/auth/me', cookie)).json.user.mustChange).toBe(true);
    const changed = await call('POST', '/api/auth/password', cookie, {
      currentPassword: initial('kythuat.talai'),
      newPassword: STRONG,
    });
    expect(changed.status, JSON.stringify(changed.json)).toBe(200);
    expect(changed.json.user.mustChange).toBe(false);
    expect((await call('GET', '/api/devices', cookie)).status).toBe(200);
    // The generated one no longer signs in; the chosen one does.
    expect((await signIn('kythuat.talai', initial('kythuat.talai'))).status).toBe(401);
    expect((await signIn('kythuat.talai', STRONG)).json.user.mustChange).toBe(false);
  });
});

describe("changing one's own password", { timeout: 120_000 }, () => {
  it('refuses a wrong current password, and weak, short or name-bearing new ones, with the reason in Vietnamese', async () => {
    const cookie = await cookieOf('lanhdao.talai', initial('lanhdao.talai'));
    const wrong = await call('POST', '/api/auth/password', cookie, {
      currentPassword: 'khong-phai-mat-khau',
      newPassword: STRONG,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json).toMatchObject({
      code: 'CX_WRONG_PASSWORD',
      message: 'Mật khẩu hiện tại không đúng.',
      fields: { currentPassword: 'error.CX_WRONG_PASSWORD' },
    });
    for (const [newPassword, problem] of [
      ['ngan1', 'too-short'],
      ['password123', 'too-weak'],
      ['matkhau2024', 'too-weak'],
      ['lanhdao.talai-2025!', 'contains-name'],
      [initial('lanhdao.talai'), 'same-as-old'],
    ] as const) {
      const res = await call('POST', '/api/auth/password', cookie, {
        currentPassword: initial('lanhdao.talai'),
        newPassword,
      });
      expect(res.status, newPassword).toBe(400);
      expect(res.json, newPassword).toMatchObject({
        code: 'CX_WEAK_PASSWORD',
        params: { problem },
        fields: { newPassword: `password.${problem}` },
        message: expect.stringMatching(/ít nhất 10 ký tự/),
      });
    }
    // Nothing changed: the generated password still signs in, and must still be changed.
    expect((await signIn('lanhdao.talai', initial('lanhdao.talai'))).json.user.mustChange).toBe(true);
  });

  it("ends the user's other sessions, keeps this one, and records the change in the audit log", async () => {
    const phone = await cookieOf('kinhte.talai', initial('kinhte.talai'));
    const desk = await cookieOf('kinhte.talai', initial('kinhte.talai'));
    const res = await call('POST', '/api/auth/password', desk, {
      currentPassword: initial('kinhte.talai'),
      newPassword: 'Ruộng lúa chín vàng bên sông Đồng Nai',
    });
    expect(res.status).toBe(200);
    expect(res.json.sessionsEnded).toBe(1);
    expect((await call('GET', '/api/auth/me', phone)).status).toBe(401);
    expect((await call('GET', '/api/auth/me', desk)).status).toBe(200);
    const admin = await adminCookie();
    const audit = await call('GET', '/api/audit/entries?user=kinhte.talai&action=password-change', admin);
    expect(audit.json.entries).toEqual([
      expect.objectContaining({
        username: 'kinhte.talai',
        action: 'password-change',
        target: 'kinhte.talai',
      }),
    ]);
  });
});

let admin: string | undefined;
async function adminCookie(): Promise<string> {
  if (admin) return admin;
  const first = await cookieOf('quantri.talai', initial('quantri.talai'));
  const res = await call('POST', '/api/auth/password', first, {
    currentPassword: initial('quantri.talai'),
    newPassword: 'Cây đa đầu làng có tổ chim sáo',
  });
  expect(res.status).toBe(200);
  admin = first;
  return admin;
}

describe('an admin resets and locks accounts', { timeout: 120_000 }, () => {
  it('resets a password: a one-time password shown once, sessions ended, a change required at next sign-in', async () => {
    const a = await adminCookie();
    const victim = await cookieOf('kythuat2.talai', initial('kythuat2.talai'));
    const reset = await call('POST', '/api/users/kythuat2.talai/password-reset', a, {});
    expect(reset.status).toBe(200);
    const oneTime = reset.json.password as string;
    expect(oneTime).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect((await call('GET', '/api/auth/me', victim)).status).toBe(401);
    expect((await signIn('kythuat2.talai', initial('kythuat2.talai'))).status).toBe(401);
    const again = await signIn('kythuat2.talai', oneTime);
    expect(again.json.user.mustChange).toBe(true);
    expect((await call('GET', '/api/devices', again.cookie)).json.code).toBe('CX_PASSWORD_CHANGE_REQUIRED');
    // The list never shows the one-time password or a hash.
    const list = await call('GET', '/api/users', a);
    expect(JSON.stringify(list.json)).not.toContain(oneTime);
    expect(list.json.find((u: { username: string }) => u.username === 'kythuat2.talai')).toMatchObject({
      mustChange: true,
      lockedTs: null,
    });
  });

  it('locks an account (no sign-in, sessions ended) and unlocks it; never its own; only its own commune', async () => {
    const a = await adminCookie();
    const police = await cookieOf('congan.talai', initial('congan.talai'));
    const lock = await call('POST', '/api/users/congan.talai/lock', a, { locked: true });
    expect(lock.status).toBe(200);
    expect(lock.json).toMatchObject({ username: 'congan.talai', lockedBy: 'quantri.talai' });
    expect((await call('GET', '/api/auth/me', police)).status).toBe(401);
    const refused = await signIn('congan.talai', initial('congan.talai'));
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('CX_ACCOUNT_LOCKED');
    // A wrong password for a locked account says only "wrong": a guess learns nothing of the lock.
    expect((await signIn('congan.talai', 'doan-bua-1234')).json.code).toBe('CX_BAD_LOGIN');
    expect((await call('POST', '/api/users/congan.talai/lock', a, { locked: false })).status).toBe(200);
    expect((await signIn('congan.talai', initial('congan.talai'))).status).toBe(200);
    expect((await call('POST', '/api/users/quantri.talai/lock', a, { locked: true })).json.code).toBe(
      'CX_NOT_ON_SELF',
    );
    expect((await call('POST', '/api/users/quantri.loctan/lock', a, { locked: true })).status).toBe(403);
    expect((await call('POST', '/api/users/khong-ai/lock', a, { locked: true })).status).toBe(404);
    const actions = (
      await call('GET', '/api/audit/entries?user=quantri.talai&pageSize=200', a)
    ).json.entries.map((e: { action: string; target: string }) => `${e.action} ${e.target}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'account-lock congan.talai',
        'account-unlock congan.talai',
        'password-reset kythuat2.talai',
      ]),
    );
  });

  it('keeps chosen passwords, resets and locks across a restart and a config reload', async () => {
    const a = await adminCookie();
    await call('POST', '/api/users/congan.talai/lock', a, { locked: true });
    await app.stop();
    const passwords = app.userPasswords;
    app = await startTestApp({ firstSignIn: true, dataDir, extra: 'ingest: { batchMaxDelayMs: 20 }' });
    expect(app.generatedUserPasswords.size).toBe(0);
    app = { ...app, userPasswords: passwords };
    admin = undefined;
    expect((await signIn('kythuat.talai', STRONG)).json.user.mustChange).toBe(false);
    expect((await signIn('congan.talai', initial('congan.talai'))).json.code).toBe('CX_ACCOUNT_LOCKED');
    expect((await signIn('kythuat2.talai', initial('kythuat2.talai'))).status).toBe(401);
    admin = await cookieOf('quantri.talai', 'Cây đa đầu làng có tổ chim sáo');
    expect((await call('POST', '/api/users/congan.talai/lock', admin, { locked: false })).status).toBe(200);
  });
});

describe('device secret rotation', { timeout: 120_000 }, () => {
  it('shows the new MQTT password once, refuses the old one at once and disconnects a client using it', async () => {
    const a = admin ?? (await adminCookie());
    const id = 'tl-cam-01';
    const old = app.devicePasswords.get(id)!;
    const client = await connectDevice(app, id);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    const res = await call('POST', `/api/devices/${id}/secret`, a, {});
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ deviceId: id, disconnected: true });
    const fresh = res.json.password as string;
    expect(fresh).not.toBe(old);
    await closed;
    client.end(true);
    const refused = await tryConnect(app.mqttUrl, {
      clientId: id,
      username: id,
      password: old,
      protocolVersion: 4,
    });
    expect(refused).toBeInstanceOf(Error);
    expect(String(refused)).toMatch(/Bad username or password|Not authorized|code 4|Connection refused/i);
    const ok = await tryConnect(app.mqttUrl, {
      clientId: id,
      username: id,
      password: fresh,
      protocolVersion: 4,
    });
    expect(ok).not.toBeInstanceOf(Error);
    await (ok as { endAsync(): Promise<void> }).endAsync();
    const audit = await call('GET', '/api/audit/entries?action=device-secret-rotate', a);
    expect(audit.json.entries[0]).toMatchObject({
      target: id,
      username: 'quantri.talai',
      detail: { disconnected: true },
    });
    expect(JSON.stringify(audit.json)).not.toContain(fresh);
    // Only admins: a technician is refused.
    const tech = await cookieOf('kythuat.talai', STRONG);
    expect((await call('POST', `/api/devices/${id}/secret`, tech, {})).status).toBe(403);
    await waitFor(() => app.availability.get(id)?.state !== undefined, 'state');
  });
});
