import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

/**
 * scrypt with N=2^15, r=8, p=1 (OWASP's minimum is 2^17 for interactive logins at 64 MiB; we use
 * 32 MiB so a reconnect storm of devices fits a small server) and a 16-byte salt.
 * Format: scrypt$N$r$p$saltB64$hashB64, self-describing so parameters can rise later.
 */
const PARAMS = {
  /** People's passwords: slow, so a stolen database resists guessing. */
  person: { N: 2 ** 15, r: 8, p: 1 },
  /**
   * Generated device secrets carry ~79 bits of entropy, so guessing is hopeless at any cost;
   * 2^12 keeps first start and reconnect storms cheap on a small server.
   */
  device: { N: 2 ** 12, r: 8, p: 1 },
} as const;
const KEY_LEN = 32;

export async function hashPassword(password: string, kind: keyof typeof PARAMS = 'person'): Promise<string> {
  const params = PARAMS[kind];
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LEN, { ...params, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches; false for a wrong password or a malformed hash. Never throws. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64');
  try {
    const key = await scrypt(password.normalize('NFC'), Buffer.from(saltB64, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 256 * 1024 * 1024,
    });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

/** A password a person can read aloud over the phone: 4 groups of 4 from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const bytes = randomBytes(16);
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += alphabet[bytes[i]! % alphabet.length];
    if (i % 4 === 3 && i < 15) out += '-';
  }
  return out;
}
