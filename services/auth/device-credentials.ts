import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Db } from '../store/db.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';

/** Passwords hashed at once by ensure(): libuv's default thread-pool size (UV_THREADPOOL_SIZE). */
const HASH_CONCURRENCY = 4;

/**
 * Per-device MQTT passwords, stored only as scrypt hashes. Devices without one get a generated
 * password at first start; the plain text is written once to a 0600 file in the data folder so the
 * installer (and the built-in simulator) can configure the device, and is never logged.
 */
export class DeviceCredentials {
  private readonly db: Db;
  /** HMAC (with a per-process key) of the last accepted password per device: see verify(). */
  private readonly recent = new Map<string, string>();
  private readonly cacheKey = randomBytes(32);

  constructor(db: Db) {
    this.db = db;
  }

  hasCredential(deviceId: string): boolean {
    return this.db.prepare('SELECT 1 FROM device_credentials WHERE device_id = ?').get(deviceId) !== undefined;
  }

  async set(deviceId: string, password: string, now = Date.now()): Promise<void> {
    const hash = await hashPassword(password, 'device');
    this.db
      .prepare(
        `INSERT INTO device_credentials (device_id, password_hash, created_ts) VALUES (?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET password_hash = excluded.password_hash, created_ts = excluded.created_ts`,
      )
      .run(deviceId, hash, now);
    this.recent.delete(deviceId);
  }

  /**
   * Checks a device's password. A keyed HMAC of the last accepted password per device is kept in
   * memory so a reconnect storm costs one HMAC rather than one 32 MiB scrypt per device; anything
   * else goes to scrypt. The plain password is never kept.
   */
  async verify(deviceId: string, password: string): Promise<boolean> {
    const mac = createHmac('sha256', this.cacheKey).update(password).digest('base64');
    if (this.recent.get(deviceId) === mac) return true;
    const row = this.db.prepare('SELECT password_hash AS h FROM device_credentials WHERE device_id = ?').get(deviceId) as
      | { h: string }
      | undefined;
    if (!row) return false;
    const ok = await verifyPassword(password, row.h);
    if (ok) this.recent.set(deviceId, mac);
    return ok;
  }

  /**
   * Gives every listed device a credential if it has none, and returns the plain passwords of all
   * devices recorded in the secrets file (new ones added). The file is the installer's copy.
   */
  async ensure(deviceIds: readonly string[], secretsFile: string): Promise<Map<string, string>> {
    const known: Record<string, string> = existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
    const missing = deviceIds.filter((id) => !this.hasCredential(id));
    // scrypt runs on libuv's thread pool (4 threads by default). One at a time left the others idle:
    // 2,000 new devices took 21 s on a 2-core machine, 10.6 s four at a time. Memory stays at 4 × 4 MiB.
    const made = new Map<string, string>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < missing.length) {
        const id = missing[next++]!;
        const pw = generatePassword();
        await this.set(id, pw);
        made.set(id, pw);
      }
    };
    await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, missing.length) }, worker));
    for (const id of missing) known[id] = made.get(id)!;
    if (missing.length > 0) {
      writeFileSync(secretsFile, `${JSON.stringify(known, null, 2)}\n`, { mode: 0o600 });
      chmodSync(secretsFile, 0o600);
    }
    return new Map(Object.entries(known));
  }
}
