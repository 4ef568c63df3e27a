import type Database from 'better-sqlite3';
import type { WriteStep } from '../../store/embedded/write-thread.ts';

/**
 * Redelivery keys kept, in the file and in memory: a device or broker redelivers what was not
 * acknowledged, which is at most its in-flight window, seconds after it reconnects.
 */
export const KEYS_KEPT = 4096;

/**
 * The keys of the last KEYS_KEPT QoS 1 messages taken here or by an earlier run of the same spool
 * file (oldest first), so a redelivery is known for what it is after a crash or a takeover.
 */
export class RedeliveryKeys {
  private keys = new Set<string>();
  private sinceTrim = 0;

  /** Replaces what is known by the file's last KEYS_KEPT keys. */
  load(db: Database.Database): void {
    const keys = db
      .prepare('SELECT key FROM (SELECT id, key FROM accepted_keys ORDER BY id DESC LIMIT ?) ORDER BY id')
      .pluck()
      .all(KEYS_KEPT) as string[];
    this.keys = new Set(keys);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * Known from the moment its message is taken, not from its commit: a redelivery that arrives
   * while the first copy is still on its way to the file is the same message, and one whose commit
   * fails is still acknowledged (held in memory) and stored. Only the file's copy waits.
   */
  remember(key: string | undefined): void {
    if (key === undefined) return;
    this.keys.add(key);
    if (this.keys.size > KEYS_KEPT) this.keys.delete(this.keys.values().next().value!);
  }

  /** The steps that commit these messages' keys with their rows, trimming the table now and then. */
  commitSteps(entries: ReadonlyArray<{ key?: string | undefined; receivedTs: number }>): WriteStep[] {
    const keyed = entries.filter((e) => e.key !== undefined);
    if (keyed.length === 0) return [];
    const steps: WriteStep[] = [
      {
        sql: 'INSERT INTO accepted_keys (key, received_ts) VALUES (?, ?)',
        flat: keyed.flatMap((e) => [e.key, e.receivedTs]),
        width: 2,
      },
    ];
    this.sinceTrim += keyed.length;
    if (this.sinceTrim >= KEYS_KEPT) {
      this.sinceTrim = 0;
      steps.push({
        sql: 'DELETE FROM accepted_keys WHERE id <= (SELECT MAX(id) FROM accepted_keys) - ?',
        params: [KEYS_KEPT],
      });
    }
    return steps;
  }
}
