import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Db } from '../store/db.ts';
import { generateSecret, hashPassword, verifyPassword } from './passwords.ts';

/** How long a refused password is answered from memory, and how many are kept per device. */
const REFUSED_TTL_MS = 60_000;
const REFUSED_PER_DEVICE = 16;

/**
 * Per-device MQTT passwords, stored only as hashes: secrets generated here as salted SHA-256, a
 * password handed to set() (a person may have chosen it) as scrypt; generateSecret() in
 * passwords.ts says why. Devices without one get a generated password at first start; the plain
 * text is written once to a 0600 file in the data folder so the installer (and the built-in
 * simulator) can configure the device, and is never logged.
 */
export class DeviceCredentials {
  private readonly db: Db;
  /** HMAC (with a per-process key) of the last accepted password per device: see verify(). */
  private readonly recent = new Map<string, string>();
  /**
   * HMACs of passwords refused lately, per device. A device retrying a stale password (or a whole
   * commune of them after a botched restore) would otherwise cost a database read per attempt and,
   * where the stored hash is scrypt (set(), or rows from before generated secrets moved to
   * SHA-256), a scrypt run that takes the thread pool from everyone. They expire, so a hash changed
   * by another process counts within a minute; set() forgets them at once. Only known devices get
   * here, so the map is bounded.
   */
  private readonly refused = new Map<string, { macs: Set<string>; untilTs: number }>();
  private readonly cacheKey = randomBytes(32);

  constructor(db: Db) {
    this.db = db;
  }

  hasCredential(deviceId: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM device_credentials WHERE device_id = ?').get(deviceId) !== undefined
    );
  }

  /**
   * Stores a password given to us (by an installer, a test): a person may have chosen it, so it
   * gets scrypt at people's strength, never the fast hash of generated secrets.
   */
  async set(deviceId: string, password: string, now = Date.now()): Promise<void> {
    this.store(deviceId, await hashPassword(password), now);
  }

  private store(deviceId: string, hash: string, now: number): void {
    this.db
      .prepare(
        `INSERT INTO device_credentials (device_id, password_hash, created_ts) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET password_hash = excluded.password_hash, created_ts = excluded.created_ts`,
      )
      .run(deviceId, hash, now);
    this.recent.delete(deviceId);
    this.refused.delete(deviceId);
  }

  /**
   * True if `password` is the one this device last connected with, judged from memory (one HMAC,
   * no stored hash, no database). False says only "not proven": verify() may still accept it. The
   * broker's rate limits use it to tell a device from a flood of guesses naming it.
   */
  provenFromMemory(deviceId: string, password: string): boolean {
    const last = this.recent.get(deviceId);
    return last !== undefined && last === this.mac(password);
  }

  /**
   * What checking this device's password against its stored hash costs: `cheap` for a generated
   * secret's salted SHA-256 (microseconds), `slow` for scrypt (tens of ms of the thread pool), null
   * when it has no credential. One read by primary key.
   */
  hashCost(deviceId: string): 'cheap' | 'slow' | null {
    const row = this.db
      .prepare('SELECT password_hash AS h FROM device_credentials WHERE device_id = ?')
      .get(deviceId) as { h: string } | undefined;
    if (!row) return null;
    return row.h.startsWith('sha256$') ? 'cheap' : 'slow';
  }

  /**
   * Checks a device's password. A keyed HMAC of the last accepted password per device is kept in
   * memory so a reconnect storm costs one HMAC rather than a database read and a hash check (a
   * scrypt for scrypt rows) per device, and so are those of passwords refused in the last minute;
   * anything else is checked against the stored hash. The plain password is never kept.
   */
  async verify(deviceId: string, password: string): Promise<boolean> {
    const mac = this.mac(password);
    if (this.recent.get(deviceId) === mac) return true;
    const refused = this.refused.get(deviceId);
    if (refused && refused.untilTs > Date.now() && refused.macs.has(mac)) return false;
    const row = this.db
      .prepare('SELECT password_hash AS h FROM device_credentials WHERE device_id = ?')
      .get(deviceId) as { h: string } | undefined;
    if (!row) return false;
    const ok = await verifyPassword(password, row.h);
    if (ok) {
      this.recent.set(deviceId, mac);
      this.refused.delete(deviceId);
    } else this.remember(deviceId, mac);
    return ok;
  }

  private mac(password: string): string {
    return createHmac('sha256', this.cacheKey).update(password).digest('base64');
  }

  private remember(deviceId: string, mac: string): void {
    const now = Date.now();
    const prev = this.refused.get(deviceId);
    const entry =
      prev && prev.untilTs > now ? prev : { macs: new Set<string>(), untilTs: now + REFUSED_TTL_MS };
    if (entry.macs.size < REFUSED_PER_DEVICE) entry.macs.add(mac);
    this.refused.set(deviceId, entry);
  }

  /**
   * Replaces a device's password with a new generated secret, returned once in plain text (a
   * stolen or re-flashed device: the old one is refused from now on, the caches forgotten by
   * store()). The installer's copy in `secretsFile` (0600, already every device's plain secret)
   * and the running service's `passwords` map (the built-in simulator and gateways read it when
   * they reconnect) take the new one.
   */
  rotate(deviceId: string, secretsFile: string, passwords?: Map<string, string>, now = Date.now()): string {
    const made = generateSecret();
    this.store(deviceId, made.hash, now);
    const known: Record<string, string> = existsSync(secretsFile)
      ? JSON.parse(readFileSync(secretsFile, 'utf8'))
      : {};
    known[deviceId] = made.password;
    writeFileSync(secretsFile, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
    chmodSync(secretsFile, 0o600);
    passwords?.set(deviceId, made.password);
    return made.password;
  }

  /**
   * Gives every listed device a credential if it has none, and returns the plain passwords of all
   * devices recorded in the secrets file (new ones added). The file is the installer's copy.
   */
  async ensure(deviceIds: readonly string[], secretsFile: string): Promise<Map<string, string>> {
    const known: Record<string, string> = existsSync(secretsFile)
      ? JSON.parse(readFileSync(secretsFile, 'utf8'))
      : {};
    const missing = [...new Set(deviceIds)].filter((id) => !this.hasCredential(id));
    // Generated secrets take one SHA-256 each, not scrypt, so all go in one transaction: 2,000 new
    // devices took 6.8 s with scrypt N=2^12 (four at a time on libuv's pool), now 0.07 s (2 cores).
    const now = Date.now();
    const made = missing.map((id) => ({ id, ...generateSecret() }));
    this.db.transaction(() => {
      for (const m of made) this.store(m.id, m.hash, now);
    })();
    for (const m of made) known[m.id] = m.password;
    if (missing.length > 0) {
      writeFileSync(secretsFile, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
      chmodSync(secretsFile, 0o600);
    }
    return new Map(Object.entries(known));
  }
}
