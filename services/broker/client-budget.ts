/** Per-client limits of the embedded broker (config `mqtt.limits`); the defaults are the schema's. */
export interface ClientLimits {
  /** Refused messages (ACL, size, or ingest: JSON, schema…) per client id per 10 s before it is cut off. */
  readonly rejectsPer10s: number;
  /** CONNECTs naming one device id per 10 s, counted apart for the device itself and for guesses. */
  readonly connectsPer10s: number;
  /** Refused CONNECTs per remote address per 10 s (only failures count: a commune shares one NAT). */
  readonly connectsPerAddressPer10s: number;
  /** The first cool-down; each repeat within MAX_COOL_DOWN_MS of the last doubles it, up to that cap. */
  readonly firstCoolDownSec: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  rejectsPer10s: 20,
  connectsPerAddressPer10s: 60,
  connectsPer10s: 10,
  firstCoolDownSec: 10,
};

const WINDOW_MS = 10_000;
/** Cap of a cool-down, and how long a key's strikes are remembered after its last one ended. */
export const MAX_COOL_DOWN_MS = 10 * 60_000;
/**
 * Keys kept at most (buckets, and cool-downs, each). Only known device ids and addresses that
 * were refused make keys; past this (a flood from ever new addresses) the oldest are forgotten.
 */
const MAX_KEYS = 100_000;

/** One cool-down in force. `strict` refuses even the proven device (it is the one misbehaving). */
export interface CoolDown {
  readonly key: string;
  readonly untilTs: number;
  readonly strikes: number;
  readonly strict: boolean;
  /** What was exceeded, for the technician: "21 refused messages in 10 s (limit 20)". */
  readonly why: string;
  /** Refusals while it lasts. Only the first is written to the reject log; all are counted. */
  refused: number;
}

export interface ConnectAttempt {
  readonly clientId: string;
  /** True if the client id names a device of the inventory; others are budgeted by address only. */
  readonly knownDevice: boolean;
  readonly address: string | undefined;
  /**
   * True if the password equals, by the in-memory HMAC, the one this device last connected with:
   * the device itself, proven without a hash check. See admitConnect.
   */
  readonly proven: boolean;
  /**
   * What checking this CONNECT's password would cost, asked only when its address is cooling down
   * and the client id names a known device: `cheap` (a generated secret's salted SHA-256), `slow`
   * (scrypt: a password a person set), or null (nothing to check: the user name is not the client id).
   */
  readonly hashCost?: () => 'cheap' | 'slow' | null;
}

interface Bucket {
  tokens: number;
  lastTs: number;
}

/**
 * Token buckets per client id and per remote address, and the cool-downs they lead to. One device
 * that floods refused messages or CONNECTs must not starve the others: its refusals cost a reject
 * log row and its CONNECTs a database read and a hash check each (scrypt for hand-set passwords), so past its budget it is cut off and refused cheaply for
 * a cool-down that doubles on each repeat (10 s, 20 s, … up to 10 min).
 *
 * Keys: `id:<clientId>` (the device: its refused messages and its own CONNECTs; strict),
 * `guess:<clientId>` (CONNECTs naming a device without its current password) and `addr:<address>`
 * (refused CONNECTs from one address). The last two refuse only unproven CONNECTs, so a flood of
 * wrong passwords naming a device, or coming from the NAT address a whole commune shares, cannot
 * lock out a device that proves its password from memory. A device not proven yet (it has not
 * connected since the start) is not refused by its address's cool-down either: a CONNECT naming a
 * known device by itself goes on to the password check within that device's `guess:` budget, and,
 * where the stored hash is scrypt, within `slow-check`, one budget of scrypt runs for all such
 * CONNECTs together, so a flood naming every device cannot buy one scrypt each. Unknown ids stay
 * refused by the address. Pure bookkeeping: no I/O, no timers (sweeps run from the calls, at most
 * every 10 s).
 */
export class ClientBudget {
  private readonly limits: ClientLimits;
  private readonly clock: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly coolDowns = new Map<string, CoolDown>();
  private lastSweepTs = 0;

  constructor(limits: ClientLimits, clock: () => number = Date.now) {
    this.limits = limits;
    this.clock = clock;
  }

  /**
   * Called when a CONNECT arrives, before its password is checked. Returns the cool-down that
   * refuses it (in force, or begun by this very attempt), or null to go on and check the password.
   */
  admitConnect(a: ConnectAttempt): CoolDown | null {
    const now = this.clock();
    this.maybeSweep(now);
    const strict = this.active(`id:${a.clientId}`, now);
    if (strict) return strict;
    if (!a.proven) {
      const guess = this.active(`guess:${a.clientId}`, now);
      if (guess) return guess;
      const addr = a.address ? this.active(`addr:${a.address}`, now) : null;
      if (addr && !(a.knownDevice && this.checkPastAddress(a, now))) return addr;
    }
    if (!a.knownDevice) return null;
    const key = a.proven ? `id:${a.clientId}` : `guess:${a.clientId}`;
    if (this.take(key, this.limits.connectsPer10s, now)) return null;
    return this.begin(key, now, `over ${this.limits.connectsPer10s} CONNECTs in 10 s`);
  }

  /**
   * Whether a CONNECT naming a known device may reach its password check although its address is
   * cooling down. A right password then admits it; a wrong one is refused and charged as usual.
   * Its own `guess:` budget is taken next by admitConnect.
   */
  private checkPastAddress(a: ConnectAttempt, now: number): boolean {
    const cost = a.hashCost?.() ?? null;
    if (cost === 'cheap') return true;
    return cost === 'slow' && this.take('slow-check', this.limits.connectsPer10s, now);
  }

  /** The cool-down of an address, for CONNECTs refused before the budget (protocol level). */
  addressCoolDown(address: string | undefined): CoolDown | null {
    return address ? this.active(`addr:${address}`, this.clock()) : null;
  }

  /** A CONNECT was refused (credentials, client id, will, protocol). Returns a cool-down it began. */
  connectRefused(address: string | undefined): CoolDown | null {
    if (!address) return null;
    const now = this.clock();
    const key = `addr:${address}`;
    if (this.active(key, now) || this.take(key, this.limits.connectsPerAddressPer10s, now)) return null;
    return this.begin(key, now, `over ${this.limits.connectsPerAddressPer10s} refused CONNECTs in 10 s`);
  }

  /**
   * A message of this client was refused. Returns the cool-down when this refusal exceeds the
   * budget (the caller disconnects the client), or when one is already in force.
   */
  messageRefused(clientId: string): CoolDown | null {
    const now = this.clock();
    this.maybeSweep(now);
    const key = `id:${clientId}`;
    const held = this.active(key, now);
    if (held) return held;
    if (this.take(`msg:${clientId}`, this.limits.rejectsPer10s, now)) return null;
    return this.begin(key, now, `over ${this.limits.rejectsPer10s} refused messages in 10 s`);
  }

  /** Cool-downs in force now. */
  coolingDown(): number {
    const now = this.clock();
    let n = 0;
    for (const c of this.coolDowns.values()) if (c.untilTs > now) n++;
    return n;
  }

  private active(key: string, now: number): CoolDown | null {
    const c = this.coolDowns.get(key);
    return c && c.untilTs > now ? c : null;
  }

  /** Takes one token; false when the bucket (capacity `perWindow`, refilled over 10 s) is empty. */
  private take(key: string, perWindow: number, now: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: perWindow, lastTs: now };
    b.tokens = Math.min(perWindow, b.tokens + ((now - b.lastTs) * perWindow) / WINDOW_MS);
    b.lastTs = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private begin(key: string, now: number, why: string): CoolDown {
    const prev = this.coolDowns.get(key);
    // A repeat soon after the last cool-down ended doubles the next; a long good spell forgets it.
    const strikes = prev && now < prev.untilTs + MAX_COOL_DOWN_MS ? prev.strikes + 1 : 1;
    const ms = Math.min(this.limits.firstCoolDownSec * 1000 * 2 ** (strikes - 1), MAX_COOL_DOWN_MS);
    const c: CoolDown = { key, untilTs: now + ms, strikes, strict: key.startsWith('id:'), why, refused: 0 };
    this.coolDowns.set(key, c);
    // The bucket starts full again after the cool-down.
    this.buckets.delete(key.startsWith('id:') ? `msg:${key.slice(3)}` : key);
    this.buckets.delete(key);
    return c;
  }

  /**
   * Forgets full buckets and cool-downs whose strikes have lapsed, so a flood of new client ids
   * or addresses leaves nothing behind once it stops.
   */
  private maybeSweep(now: number): void {
    if (now - this.lastSweepTs < WINDOW_MS) return;
    this.lastSweepTs = now;
    for (const [k, b] of this.buckets) if (now - b.lastTs >= WINDOW_MS) this.buckets.delete(k);
    for (const [k, c] of this.coolDowns) if (now >= c.untilTs + MAX_COOL_DOWN_MS) this.coolDowns.delete(k);
    for (const map of [this.buckets, this.coolDowns]) {
      // Maps iterate in insertion order: the first keys are the oldest.
      for (const k of map.keys()) {
        if (map.size <= MAX_KEYS) break;
        map.delete(k);
      }
    }
  }
}
