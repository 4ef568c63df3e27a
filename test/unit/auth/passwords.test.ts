import { describe, expect, it } from 'vitest';
import { generateSecret, hashPassword, verifyPassword } from '../../../services/auth/passwords.ts';

describe('password hashes', () => {
  it('checks a generated secret against its SHA-256 hash, and refuses any other', async () => {
    const { password, hash } = generateSecret();
    expect(password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    expect(await verifyPassword(password, hash)).toBe(true);
    expect(await verifyPassword(password.toUpperCase(), hash)).toBe(false);
    expect(await verifyPassword(generateSecret().password, hash)).toBe(false);
    expect(generateSecret().hash).not.toBe(hash);
  });

  it('checks a person-chosen password against its scrypt hash', async () => {
    const hash = await hashPassword('Mật khẩu của tôi');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('Mật khẩu của tôi'.normalize('NFD'), hash)).toBe(true);
    expect(await verifyPassword('Mật khẩu của tôi.', hash)).toBe(false);
  });

  it('refuses, without throwing, a hash of an unknown scheme or a malformed one', async () => {
    const { password, hash } = generateSecret();
    const [, salt, digest] = hash.split('$') as [string, string, string];
    for (const bad of [
      '',
      password,
      `SHA256$${salt}$${digest}`,
      `md5$${salt}$${digest}`,
      `sha256$${salt}`,
      `sha256$${salt}$${digest}$`,
      `sha256$${salt}$${digest.slice(0, 20)}`,
      `sha256$${salt.slice(0, 8)}$${digest}`,
      'scrypt$4096$8$1$AAAA$',
      'scrypt$not$a$number$AAAA$AAAA',
    ])
      expect(await verifyPassword(password, bad)).toBe(false);
  });
});
