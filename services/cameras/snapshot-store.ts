import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CameraSnapshotSink } from '../../gateway/probes/support/camera-sink.ts';
import type { ImageMeasures } from '../../gateway/probes/support/image-checks.ts';
import type { Logger } from '../shared/logger.ts';

export interface SnapshotRow {
  readonly deviceId: string;
  readonly sha256: string;
  readonly takenTs: number;
  readonly bytes: number;
  readonly luminance: number;
  readonly contrast: number;
  readonly sharpness: number;
  readonly dHash: string;
}

export interface ReferenceRow {
  readonly deviceId: string;
  readonly sha256: string;
  readonly dHash: string;
  readonly approvedBy: string;
  readonly approvedTs: number;
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Snapshots kept per camera besides its reference. A 4 MP camera's JPEG is 300–500 KB: 500
 * cameras × 20 ≈ 5 GB, what a commune server's disk can spare. TODO #12: a config key.
 */
export const SNAPSHOTS_PER_CAMERA = 20;

/**
 * The cameras' snapshots, on disk in the data folder: one file per distinct image named by its
 * SHA-256 (`snapshots/ab/ab12….jpg`, so a still camera repeating the same bytes costs one file),
 * and a small SQLite index of its own (which camera, when, the measures). Retention: the newest
 * `keepPerCamera` snapshots of each camera plus each camera's approved reference; a file goes
 * when no kept row or reference names it.
 *
 * Binary and private (police only): never through MQTT, never in the main database the other
 * roles' routes read. The embedded probe gateway writes here directly (CameraSnapshotSink).
 */
export class SnapshotStore implements CameraSnapshotSink {
  private readonly db: Database.Database;
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly opts: { keepPerCamera: number; log: Logger },
  ) {
    this.dir = join(dataDir, 'snapshots');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(this.dir, 'index.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL, sha256 TEXT NOT NULL, taken_ts INTEGER NOT NULL, bytes INTEGER NOT NULL,
        luminance REAL NOT NULL, contrast REAL NOT NULL, sharpness REAL NOT NULL, dhash TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS snapshots_device ON snapshots (device_id, id);
      CREATE TABLE IF NOT EXISTS snapshot_refs (
        device_id TEXT PRIMARY KEY, sha256 TEXT NOT NULL, dhash TEXT NOT NULL,
        approved_by TEXT NOT NULL, approved_ts INTEGER NOT NULL);`);
  }

  private path(sha: string): string {
    return join(this.dir, sha.slice(0, 2), `${sha}.jpg`);
  }

  keep(deviceId: string, jpeg: Buffer, m: ImageMeasures, takenTs: number): string | undefined {
    const sha = createHash('sha256').update(jpeg).digest('hex');
    try {
      const file = this.path(sha);
      if (!existsSync(file)) {
        mkdirSync(join(this.dir, sha.slice(0, 2)), { recursive: true, mode: 0o700 });
        // Write then rename: a crash never leaves a truncated file under a content address.
        writeFileSync(`${file}.tmp`, jpeg, { mode: 0o600 });
        renameSync(`${file}.tmp`, file);
      }
      this.db
        .prepare(
          'INSERT INTO snapshots (device_id, sha256, taken_ts, bytes, luminance, contrast, sharpness, dhash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        )
        .run(deviceId, sha, takenTs, jpeg.length, m.luminance, m.stddev, m.sharpness, m.dHash);
      this.prune(deviceId);
      return sha;
    } catch (err) {
      // A full disk must not stop the camera's verdict: the probe judged the image in memory.
      this.opts.log.warn({ err, deviceId }, 'snapshot not kept');
      return undefined;
    }
  }

  private prune(deviceId: string): void {
    const old = this.db
      .prepare('SELECT id, sha256 FROM snapshots WHERE device_id = ? ORDER BY id DESC LIMIT -1 OFFSET ?')
      .all(deviceId, this.opts.keepPerCamera) as { id: number; sha256: string }[];
    if (old.length === 0) return;
    const del = this.db.prepare('DELETE FROM snapshots WHERE id = ?');
    this.db.transaction(() => {
      for (const r of old) del.run(r.id);
    })();
    for (const sha of new Set(old.map((r) => r.sha256))) this.forgetIfUnnamed(sha);
  }

  /** Removes an image file no kept snapshot and no reference names any more. */
  private forgetIfUnnamed(sha: string): void {
    const named = this.db
      .prepare(
        'SELECT 1 FROM snapshots WHERE sha256 = ? UNION ALL SELECT 1 FROM snapshot_refs WHERE sha256 = ? LIMIT 1',
      )
      .get(sha, sha);
    if (!named) rmSync(this.path(sha), { force: true });
  }

  referenceHash(deviceId: string): string | undefined {
    return this.reference(deviceId)?.dHash;
  }

  reference(deviceId: string): ReferenceRow | undefined {
    return this.db
      .prepare(
        'SELECT device_id AS deviceId, sha256, dhash AS dHash, approved_by AS approvedBy, approved_ts AS approvedTs FROM snapshot_refs WHERE device_id = ?',
      )
      .get(deviceId) as ReferenceRow | undefined;
  }

  /** The newest snapshots of a camera, newest first. */
  latest(deviceId: string, limit = 1): SnapshotRow[] {
    return this.db
      .prepare(
        `SELECT device_id AS deviceId, sha256, taken_ts AS takenTs, bytes, luminance, contrast, sharpness,
           dhash AS dHash FROM snapshots WHERE device_id = ? ORDER BY id DESC LIMIT ?`,
      )
      .all(deviceId, limit) as SnapshotRow[];
  }

  /** The JPEG bytes of a snapshot, or undefined when retention removed it. */
  image(sha256: string): Buffer | undefined {
    if (!SHA256.test(sha256)) return undefined;
    try {
      return readFileSync(this.path(sha256));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /** Makes the camera's newest snapshot its reference view (after a legitimate re-aim); undefined if none yet. */
  approveLatest(deviceId: string, approvedBy: string, ts: number): ReferenceRow | undefined {
    const last = this.latest(deviceId, 1)[0];
    if (!last) return undefined;
    const before = this.reference(deviceId);
    const row: ReferenceRow = {
      deviceId,
      sha256: last.sha256,
      dHash: last.dHash,
      approvedBy,
      approvedTs: ts,
    };
    this.db
      .prepare(
        `INSERT INTO snapshot_refs (device_id, sha256, dhash, approved_by, approved_ts) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device_id) DO UPDATE SET sha256 = excluded.sha256, dhash = excluded.dhash,
           approved_by = excluded.approved_by, approved_ts = excluded.approved_ts`,
      )
      .run(deviceId, row.sha256, row.dHash, approvedBy, ts);
    if (before && before.sha256 !== row.sha256) this.forgetIfUnnamed(before.sha256);
    return row;
  }

  close(): void {
    this.db.close();
  }
}
