import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DeviceCredentials } from '../../../services/auth/device-credentials.ts';
import * as passwords from '../../../services/auth/passwords.ts';
import { openDb } from '../../../services/store/db.ts';

describe('device credentials', () => {
  it('answers a password it just refused from memory, and checks again once the password is set', async () => {
    const db = openDb(':memory:');
    const creds = new DeviceCredentials(db);
    await creds.set('tl-cam-01', 'right-password');
    const scrypt = vi.spyOn(passwords, 'verifyPassword');
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(false);
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(false);
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(false);
    expect(scrypt).toHaveBeenCalledTimes(1);
    // A different wrong password is still checked, and so is the right one.
    expect(await creds.verify('tl-cam-01', 'other-password')).toBe(false);
    expect(await creds.verify('tl-cam-01', 'right-password')).toBe(true);
    expect(scrypt).toHaveBeenCalledTimes(3);
    // The installer gives the device the password it was trying: accepted at once.
    await creds.set('tl-cam-01', 'stale-password');
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(true);
    scrypt.mockRestore();
    db.close();
  });

  it('issues every missing device a password, hashed a few at a time, and keeps the existing ones', async () => {
    const db = openDb(':memory:');
    const creds = new DeviceCredentials(db);
    const dir = mkdtempSync(join(tmpdir(), 'cx-creds-'));
    const file = join(dir, 'device-secrets.json');
    const first = await creds.ensure(['a-1', 'a-2'], file);
    const second = await creds.ensure(['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6'], file);
    expect([...second.keys()].sort()).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6']);
    expect(second.get('a-1')).toBe(first.get('a-1'));
    for (const [id, pw] of second) expect(await creds.verify(id, pw)).toBe(true);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
