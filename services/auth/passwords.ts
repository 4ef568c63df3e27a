import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (
  pw: string,
  salt: Buffer,
  len: number,
  opts: object,
) => Promise<Buffer>;

/**
 * Passwords a person may have chosen: scrypt with N=2^15, r=8, p=1 (OWASP's minimum is 2^17 for
 * interactive logins at 64 MiB; we use 32 MiB so a burst of logins, or of devices given a chosen
 * password, fits a small server) and a 16-byte salt. Format: scrypt$N$r$p$saltB64$hashB64,
 * self-describing so parameters can rise later. Device secrets stored before they moved to
 * SHA-256 are scrypt at N=2^12: they still verify, since the parameters are read from the hash.
 */
const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;
const SALT_LEN = 16;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_LEN);
  const key = await scrypt(password.normalize('NFC'), salt, KEY_LEN, { ...PARAMS, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * True when the password matches a hash of either scheme (scrypt$… from hashPassword, sha256$…
 * from generateSecret); false for a wrong password, an unknown scheme or a malformed hash. Never
 * throws. Users' hashes can only be scrypt: the commune schema refuses any other in config.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('sha256$')) return verifySha256(password, stored);
  if (stored.startsWith('scrypt$')) return verifyScrypt(password, stored);
  return false;
}

async function verifyScrypt(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6) return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64');
  // An empty key would match every password (scrypt of length 0 equals it), so would a short one
  // nearly as easily: a hand-edited or truncated hash must refuse, not open the door.
  if (expected.length < 16) return false;
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

/**
 * A new generatePassword() secret and its hash: one salted SHA-256, as API keys are stored
 * (api-keys.ts), not scrypt. Key stretching only multiplies the cost of each guess, which matters
 * when a person picked the password from a small space; this space is too large for that. 16
 * characters drawn from 31 by `byte % 31` (8 characters at 9/256, 23 at 8/256) give a min-entropy
 * of 16·log2(256/9) ≈ 77 bits, so even 10^12 guesses a second take over 2,000 years on average
 * for one device, and the per-row salt stops one guess from testing every row at once. What scrypt
 * did cost was ours: one run per device at first start and after each restart (10,000 devices
 * reconnecting: ~40 s of thread pool).
 *
 * The rule is provenance, not a guess at entropy: only a secret made here gets this hash, which is
 * why nothing exported hashes a caller's string this way; a password handed in from outside
 * (DeviceCredentials.set, a CLI, config) gets hashPassword().
 * Format: sha256$saltB64$hashB64, hash = SHA-256(16-byte salt ‖ UTF-8 of the NFC secret).
 */
export function generateSecret(): { password: string; hash: string } {
  const password = generatePassword();
  const salt = randomBytes(SALT_LEN);
  return { password, hash: `sha256$${salt.toString('base64')}$${sha256(salt, password).toString('base64')}` };
}

function verifySha256(password: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 3) return false;
  const salt = Buffer.from(parts[1]!, 'base64');
  const expected = Buffer.from(parts[2]!, 'base64');
  const actual = sha256(salt, password);
  return salt.length === SALT_LEN && expected.length === actual.length && timingSafeEqual(actual, expected);
}

function sha256(salt: Buffer, secret: string): Buffer {
  return createHash('sha256').update(salt).update(secret.normalize('NFC'), 'utf8').digest();
}
