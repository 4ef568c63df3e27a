import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { DeviceCredentials } from '../../../services/auth/device-credentials.ts';
import * as passwords from '../../../services/auth/passwords.ts';
import { type Db, openDb } from '../../../services/store/db.ts';

/** A row as the service wrote it before generated secrets moved to SHA-256: scrypt N=2^12. */
const OLD_SECRET = '596c-hsxn-wue4-wrac';
const OLD_ROW_HASH = 'scrypt$4096$8$1$pyIRiX5IxgXprCuYJUYYgg==$HT4XK39TxOn6r5p3Y1v60FhipjLIphpIC7w70qk0UIM=';

function storedHash(db: Db, deviceId: string): string {
  return db
    .prepare('SELECT password_hash FROM device_credentials WHERE device_id = ?')
    .pluck()
    .get(deviceId) as string;
}

function withSecretsFile(run: (file: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cx-creds-'));
    try {
      await run(join(dir, 'device-secrets.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

describe('device credentials', () => {
  it('answers a password it just refused from memory, and checks again once the password is set', async () => {
    const db = openDb(':memory:');
    const creds = new DeviceCredentials(db);
    await creds.set('tl-cam-01', 'right-password');
    const check = vi.spyOn(passwords, 'verifyPassword');
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(false);
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(false);
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(false);
    expect(check).toHaveBeenCalledTimes(1);
    // A different wrong password is still checked, and so is the right one.
    expect(await creds.verify('tl-cam-01', 'other-password')).toBe(false);
    expect(await creds.verify('tl-cam-01', 'right-password')).toBe(true);
    expect(check).toHaveBeenCalledTimes(3);
    // The installer gives the device the password it was trying: accepted at once.
    await creds.set('tl-cam-01', 'stale-password');
    expect(await creds.verify('tl-cam-01', 'stale-password')).toBe(true);
    check.mockRestore();
    db.close();
  });

  it(
    'issues every missing device a password, and keeps the existing ones',
    withSecretsFile(async (file) => {
      const db = openDb(':memory:');
      const creds = new DeviceCredentials(db);
      const first = await creds.ensure(['a-1', 'a-2'], file);
      const second = await creds.ensure(['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6', 'a-6'], file);
      expect([...second.keys()].sort()).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6']);
      expect(second.get('a-1')).toBe(first.get('a-1'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(Object.fromEntries(second));
      for (const [id, pw] of second) expect(await creds.verify(id, pw)).toBe(true);
      db.close();
    }),
  );

  it(
    'stores generated secrets as salted SHA-256 and passwords given to set() as scrypt, never plain',
    withSecretsFile(async (file) => {
      const db = openDb(':memory:');
      const creds = new DeviceCredentials(db);
      const secrets = await creds.ensure(['g-1', 'g-2'], file);
      await creds.set('s-1', 'chosen by a person');
      const [h1, h2] = [storedHash(db, 'g-1'), storedHash(db, 'g-2')];
      expect(h1).toMatch(/^sha256\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
      expect(h2).toMatch(/^sha256\$/);
      expect(h1).not.toBe(h2);
      expect(storedHash(db, 's-1')).toMatch(/^scrypt\$32768\$8\$1\$/);
      const all = (
        db.prepare('SELECT password_hash FROM device_credentials').pluck().all() as string[]
      ).join();
      for (const pw of [...secrets.values(), 'chosen by a person']) expect(all).not.toContain(pw);
      db.close();
    }),
  );

  it(
    'verifies each scheme with an empty cache, and refuses a wrong password against each',
    withSecretsFile(async (file) => {
      const db = openDb(':memory:');
      const secrets = await new DeviceCredentials(db).ensure(['g-1', 'g-2'], file);
      await new DeviceCredentials(db).set('s-1', 'chosen by a person');
      db.prepare(
        'INSERT INTO device_credentials (device_id, password_hash, created_ts) VALUES (?, ?, ?)',
      ).run('old-1', OLD_ROW_HASH, 0);
      const g1 = secrets.get('g-1')!;
      // A fresh instance, as after a restart: nothing is answered from memory.
      const wrong = new DeviceCredentials(db);
      expect(await wrong.verify('g-1', secrets.get('g-2')!)).toBe(false);
      expect(await wrong.verify('g-1', `${g1.slice(0, -1)}${g1.endsWith('a') ? 'b' : 'a'}`)).toBe(false);
      expect(await wrong.verify('g-1', storedHash(db, 'g-1'))).toBe(false);
      expect(await wrong.verify('g-1', '')).toBe(false);
      expect(await wrong.verify('s-1', 'chosen by a persoN')).toBe(false);
      expect(await wrong.verify('old-1', `${OLD_SECRET}x`)).toBe(false);
      const right = new DeviceCredentials(db);
      expect(await right.verify('g-1', g1)).toBe(true);
      expect(await right.verify('s-1', 'chosen by a person')).toBe(true);
      expect(await right.verify('old-1', OLD_SECRET)).toBe(true);
      expect(right.provenFromMemory('g-1', g1)).toBe(true);
      expect(right.provenFromMemory('old-1', OLD_SECRET)).toBe(true);
      db.close();
    }),
  );
});
