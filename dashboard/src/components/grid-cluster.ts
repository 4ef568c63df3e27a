/**
 * Grid clustering for map markers (no plugin is installed, and this is all the map needs): points
 * in screen pixels fall into square cells; a cell with several points becomes one cluster at
 * their mean position. Cheap enough to redo on every zoom for a few hundred sites.
 */
export interface ScreenPoint<T> {
  readonly x: number;
  readonly y: number;
  readonly item: T;
}

export interface Cluster<T> {
  readonly x: number;
  readonly y: number;
  readonly items: readonly T[];
}

/**
 * Groups points whose pixels share a `cellPx` cell. Then two clusters whose centres are closer
 * than `cellPx / 2` (neighbours across a cell edge) merge, so two markers never overlap.
 */
export function gridCluster<T>(points: readonly ScreenPoint<T>[], cellPx: number): Cluster<T>[] {
  const cells = new Map<string, ScreenPoint<T>[]>();
  for (const p of points) {
    const key = `${Math.floor(p.x / cellPx)}:${Math.floor(p.y / cellPx)}`;
    const list = cells.get(key);
    if (list) list.push(p);
    else cells.set(key, [p]);
  }
  let out = [...cells.values()].map(merge);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < out.length && !changed; i++)
      for (let j = i + 1; j < out.length && !changed; j++) {
        const a = out[i]!;
        const b = out[j]!;
        if (Math.hypot(a.x - b.x, a.y - b.y) < cellPx / 2) {
          out = [...out.filter((_, k) => k !== i && k !== j), join(a, b)];
          changed = true;
        }
      }
  }
  return out;
}

function merge<T>(ps: readonly ScreenPoint<T>[]): Cluster<T> {
  return {
    x: ps.reduce((s, p) => s + p.x, 0) / ps.length,
    y: ps.reduce((s, p) => s + p.y, 0) / ps.length,
    items: ps.map((p) => p.item),
  };
}

function join<T>(a: Cluster<T>, b: Cluster<T>): Cluster<T> {
  const n = a.items.length + b.items.length;
  return {
    x: (a.x * a.items.length + b.x * b.items.length) / n,
    y: (a.y * a.items.length + b.y * b.items.length) / n,
    items: [...a.items, ...b.items],
  };
}
