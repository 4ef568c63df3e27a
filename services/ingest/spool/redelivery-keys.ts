import type Database from 'better-sqlite3';
import type { WriteStep } from '../../store/embedded/write-thread.ts';

/**
 * Redelivery keys kept, in the file and in memory: a device or broker redelivers what was not
 * acknowledged, which is at most its in-flight window, seconds after it reconnects.
 */
export const KEYS_KEPT = 4096;

/**
 * Keys held past KEYS_KEPT before the oldest are let go, all in one pass. A Map's iterator walks
 * over the slots of deleted entries from its start, and evicting the oldest key one at a time
 * leaves them all there: one eviction a message cost 1.6 µs (walking some thousands of empty
 * slots) against 0.1 for a pass every SLACK messages (#15).
 */
const SLACK = 512;

/** The connection a key came from, when it is not known: an earlier run's, from the file. */
export const EARLIER_CONNECTION = 0;

/**
 * The keys of the last KEYS_KEPT (to KEYS_KEPT + SLACK) stamped QoS 1 messages taken here or by an
 * earlier run of the same spool file (oldest first), each with the connection it arrived on, so a
 * resend is known for what it is after a reconnect, a crash or a takeover.
 *
 * A key is (session, packet id, topic, bytes), see Ingest. It is matched as a resend:
 * - when the delivery is marked DUP (the sender says it may have sent it before), or
 * - when it comes on a later connection than the first copy: an MQTT resend happens only after a
 *   reconnect [MQTT-4.4.0-1], and mqtt.js 5 resends then without DUP. On one connection a client
 *   reuses a packet id only once its PUBACK came back, so a repeat there is a new message.
 * A connection that ended with the client's DISCONNECT is released (release()): the client had its
 * PUBACKs, so its next connection's packet ids are new messages. mosquitto_pub and other one-shot
 * clients number every run's first message 1.
 */
export class RedeliveryKeys {
  private keys = new Map<string, number>();
  private sinceTrim = 0;
  /** Connections that brought at least one key still held: only those need a walk on release. */
  private keyed = new Set<number>();

  /** Adds the file's last KEYS_KEPT keys to what is known. */
  load(db: Database.Database): void {
    this.adopt(
      db
        .prepare('SELECT key FROM (SELECT id, key FROM accepted_keys ORDER BY id DESC LIMIT ?) ORDER BY id')
        .pluck()
        .all(KEYS_KEPT) as string[],
    );
  }

  /**
   * Adds keys committed by an earlier run (oldest first), from the spool file or the store's
   * (direct-lane.ts). One known already keeps its connection: this run's is the better fact.
   */
  adopt(keys: readonly string[]): void {
    for (const k of keys) if (!this.keys.has(k)) this.keys.set(k, EARLIER_CONNECTION);
    this.keyed.add(EARLIER_CONNECTION);
    this.evict();
  }

  /**
   * True if the message with this key, arriving on `connection` (undefined: not known), is a
   * resend of one already taken. A resend is acknowledged on its connection, which may then use
   * the packet id again for a new message: the key now belongs to that connection.
   */
  isResend(key: string, connection: number | undefined, dup: boolean): boolean {
    const first = this.keys.get(key);
    if (first === undefined) return false;
    const resend = dup || (connection !== undefined && first !== connection);
    if (resend && connection !== undefined && first !== connection) this.remember(key, connection);
    return resend;
  }

  /**
   * Known from the moment its message is taken, not from its commit: a resend that arrives while
   * the first copy is still on its way to the file is the same message, and one whose commit fails
   * is still acknowledged (held in memory) and stored. Only the file's copy waits.
   */
  remember(key: string | undefined, connection: number | undefined): void {
    if (key === undefined) return;
    const c = connection ?? EARLIER_CONNECTION;
    this.keys.delete(key);
    this.keys.set(key, c);
    this.keyed.add(c);
    if (this.keys.size > KEYS_KEPT + SLACK) this.evict();
    // Connections that ended without a DISCONNECT stay in keyed; rebuilt now and then from what is held.
    if (this.keyed.size > 2 * KEYS_KEPT) this.keyed = new Set(this.keys.values());
  }

  /** Lets go of the oldest keys past KEYS_KEPT, in one walk. */
  private evict(): void {
    let over = this.keys.size - KEYS_KEPT;
    for (const k of this.keys.keys()) {
      if (over-- <= 0) break;
      this.keys.delete(k);
    }
  }

  /**
   * Forgets the keys that came on `connection` (every key with 'all': the session they belong to
   * is gone); returns them, for the file.
   */
  release(connection: number | 'all'): string[] {
    if (connection === 'all') {
      const all = [...this.keys.keys()];
      this.keys.clear();
      this.keyed.clear();
      return all;
    }
    if (!this.keyed.delete(connection)) return [];
    const gone: string[] = [];
    for (const [k, c] of this.keys) if (c === connection) gone.push(k);
    for (const k of gone) this.keys.delete(k);
    return gone;
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
