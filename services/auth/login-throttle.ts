/**
 * Counts failed logins per (address, user name) and per address in a sliding 15-minute window.
 * Only failures count, so a commune office behind one NAT address is not locked out by its own
 * successful logins; a password-guessing run is stopped after `limit` tries.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private static readonly WINDOW_MS = 15 * 60_000;

  constructor(
    private readonly limit: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Minutes to wait, or 0 when a try is allowed. */
  retryAfterMinutes(ip: string, username: string): number {
    const now = this.clock();
    let wait = 0;
    for (const [key, cap] of this.keys(ip, username)) {
      const recent = this.recent(key, now);
      if (recent.length >= cap) wait = Math.max(wait, recent[0]! + LoginThrottle.WINDOW_MS - now);
    }
    return Math.ceil(wait / 60_000);
  }

  fail(ip: string, username: string): void {
    const now = this.clock();
    for (const [key] of this.keys(ip, username)) this.failures.set(key, [...this.recent(key, now), now]);
  }

  succeed(ip: string, username: string): void {
    this.failures.delete(`u:${ip}:${username}`);
  }

  private keys(ip: string, username: string): Array<[string, number]> {
    // An address may try several user names (a shared office), but not without bound.
    return [
      [`u:${ip}:${username}`, this.limit],
      [`a:${ip}`, this.limit * 5],
    ];
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - LoginThrottle.WINDOW_MS);
  }
}
