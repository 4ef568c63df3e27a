import { describe, expect, it } from 'vitest';
import { InflowGate } from '../../../services/ingest/inflow-gate.ts';

function gate() {
  const done: number[] = [];
  const g = new InflowGate({
    highWater: 10,
    lowWater: 5,
    stallMs: 60_000,
    clock: Date.now,
    onError: () => {},
  });
  const admit = (i: number, backlog: number, healthy = true) => g.admit(() => done.push(i), backlog, healthy);
  return { g, done, admit };
}

describe('inflow gate', () => {
  it('holds from high water on, and releases nothing until the backlog is under low water', () => {
    const { g, done, admit } = gate();
    admit(1, 9);
    admit(2, 10);
    admit(3, 4); // the backlog fell, but the queue waits: nothing overtakes it
    expect(done).toEqual([1]);
    g.progress(5);
    expect(done).toEqual([1]);
    g.progress(0);
    expect(done).toEqual([1, 2, 3]);
    expect(g.isClosed).toBe(false);
    expect(g.stats()).toMatchObject({ held: 2, holding: 0, closes: 1, peakBacklog: 10 });
  });

  it('opens metered: each batch stored releases as many of the oldest as the backlog is under high water', () => {
    const { g, done, admit } = gate();
    for (let i = 0; i < 30; i++) admit(i, 10 + i);
    expect(done).toEqual([]);
    g.progress(4);
    expect(done).toEqual([0, 1, 2, 3, 4, 5]);
    g.progress(7); // over low water: none
    expect(done).toHaveLength(6);
    g.progress(2);
    expect(done).toHaveLength(14);
    expect(g.isClosed).toBe(true);
    g.progress(0);
    expect(done).toHaveLength(30);
    expect(g.isClosed).toBe(false);
  });

  it('never holds while the store fails, and lets go of what it held', () => {
    const { g, done, admit } = gate();
    admit(1, 12);
    admit(2, 13, false);
    expect(done).toEqual([1, 2]);
    expect(g.isClosed).toBe(false);
  });

  it('opens when the store stores nothing for stallMs, says so until it stores again', async () => {
    const g = new InflowGate({ highWater: 10, lowWater: 5, stallMs: 50, clock: Date.now, onError: () => {} });
    const done: number[] = [];
    g.admit(() => done.push(1), 12, true);
    expect(done).toEqual([]);
    expect(g.stalled).toBe(false);
    const deadline = Date.now() + 10_000;
    while (!g.stalled && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(g.stalled).toBe(true);
    expect(done).toEqual([1]);
    expect(g.stats().stallOpens).toBe(1);
    g.progress(11);
    expect(g.stalled).toBe(false);
  });
});
