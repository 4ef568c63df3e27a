import { describe, expect, it } from 'vitest';
import { gridCluster } from '../../../dashboard/src/components/grid-cluster.ts';

const pt = <T>(x: number, y: number, item: T) => ({ x, y, item });

describe('gridCluster', () => {
  it('keeps points in separate cells apart and joins points sharing a cell at their mean', () => {
    const out = gridCluster([pt(5, 5, 'a'), pt(15, 25, 'b'), pt(200, 200, 'c')], 40);
    expect(out).toHaveLength(2);
    const ab = out.find((c) => c.items.length === 2)!;
    expect([...ab.items].sort()).toEqual(['a', 'b']);
    expect([ab.x, ab.y]).toEqual([10, 15]);
    expect(out.find((c) => c.items.length === 1)!.items).toEqual(['c']);
  });

  it('joins neighbours across a cell edge, so no two markers overlap', () => {
    const out = gridCluster([pt(39, 10, 'a'), pt(41, 10, 'b')], 40);
    expect(out).toHaveLength(1);
    expect(out[0]!.items).toHaveLength(2);
    for (const c of gridCluster(
      Array.from({ length: 60 }, (_, i) => pt((i * 37) % 300, (i * 53) % 300, String(i))),
      44,
    ))
      expect(c.items.length).toBeGreaterThan(0);
  });

  it('leaves every point in exactly one cluster', () => {
    const pts = Array.from({ length: 200 }, (_, i) => pt((i * 7919) % 1000, (i * 104729) % 800, i));
    const out = gridCluster(pts, 44);
    const seen = out.flatMap((c) => c.items).sort((a, b) => a - b);
    expect(seen).toEqual(pts.map((p) => p.item));
    for (let i = 0; i < out.length; i++)
      for (let j = i + 1; j < out.length; j++)
        expect(Math.hypot(out[i]!.x - out[j]!.x, out[i]!.y - out[j]!.y)).toBeGreaterThanOrEqual(22);
  });
});
