/**
 * At most this many spooled rows are also kept in memory for the store pump (about 0.8 KB each):
 * twice what a healthy store may fall behind before acknowledgements wait for it (BatchWriter's
 * BACKLOG_HOLD_BATCHES × the default batch). A longer backlog (the store is down) is read back
 * from the file, as are rows a previous run left.
 */
export const RECENT_MAX = 32_000;

/**
 * The newest rows' work as committed, oldest first, so the pump need not read back and parse what
 * was just written. It holds every unacknowledged row exactly when its length equals the spool's
 * depth: rows join it in commit order and leave it only from the front (dropUpTo).
 */
export class RecentWork<W> {
  private rows: Array<{ id: number; work: W }> = [];

  get length(): number {
    return this.rows.length;
  }

  /** Adds a committed row, unless RECENT_MAX are already held (it is then read from the file). */
  push(id: number, work: W): void {
    if (this.rows.length < RECENT_MAX) this.rows.push({ id, work });
  }

  /** The rows after id `from`, in order, at most `limit`. */
  after(from: number, limit: number): Array<{ id: number; work: W }> {
    // Ids ascend: binary search for the first row after `from`.
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[mid]!.id <= from) lo = mid + 1;
      else hi = mid;
    }
    return this.rows.slice(lo, lo + limit);
  }

  /** Drops every row up to and including `id`; returns how many were dropped. */
  dropUpTo(id: number): number {
    let k = 0;
    while (k < this.rows.length && this.rows[k]!.id <= id) k++;
    if (k > 0) this.rows.splice(0, k);
    return k;
  }

  clear(): void {
    this.rows = [];
  }
}
