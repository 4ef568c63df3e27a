/**
 * A counting semaphore: at most `size` holders; waiters are served first come, first served, so a
 * target due earlier starts earlier.
 */
export class Semaphore {
  private readonly size: number;
  private held = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`semaphore size must be ≥ 1, got ${size}`);
    this.size = size;
  }

  /** Resolves when a slot is ours; call the returned function exactly once to give it back. */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = () => {
        this.held++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.held--;
          this.waiters.shift()?.();
        });
      };
      if (this.held < this.size) grant();
      else this.waiters.push(grant);
    });
  }

  get inUse(): number {
    return this.held;
  }

  get waiting(): number {
    return this.waiters.length;
  }
}
