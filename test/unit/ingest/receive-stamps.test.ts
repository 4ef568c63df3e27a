import { describe, expect, it } from 'vitest';
import { ReceiveStamps } from '../../../services/ingest/receive-stamps.ts';

const T = 1_790_000_000_000;

function stamp(s: ReceiveStamps, deviceId: string, receivedTs: number) {
  const p = s.peek(deviceId, receivedTs);
  if (!p.tooFast) s.take(deviceId, receivedTs, p.ts);
  return p;
}

describe('receive stamps', () => {
  it('never give one device the same stamp twice, and keep devices apart', () => {
    const s = new ReceiveStamps(1000);
    expect([1, 2, 3].map(() => stamp(s, 'a', T).ts)).toEqual([T, T + 1, T + 2]);
    expect(stamp(s, 'b', T).ts).toBe(T);
    expect(stamp(s, 'a', T + 10).ts).toBe(T + 10);
    expect({ stamped: s.stamped, moved: s.moved }).toEqual({ stamped: 5, moved: 2 });
  });

  it('refuse what would run more than the bound ahead of the clock, and keep nothing of it', () => {
    const s = new ReceiveStamps(3);
    const got = Array.from({ length: 6 }, () => stamp(s, 'a', T));
    expect(got.map((g) => g.tooFast)).toEqual([false, false, false, false, true, true]);
    expect(stamp(s, 'a', T + 1).ts).toBe(T + 4);
  });

  it('do not count a clock stepped back as a device sending too fast', () => {
    const s = new ReceiveStamps(1000);
    stamp(s, 'a', T + 5000);
    const after = stamp(s, 'a', T);
    expect(after).toEqual({ ts: T + 5001, tooFast: false });
  });

  it('start above the floor a previous run left (a fast restart or a takeover)', () => {
    const s = new ReceiveStamps(1000);
    s.startAbove(T + 500);
    expect(stamp(s, 'a', T)).toEqual({ ts: T + 501, tooFast: false });
    expect(stamp(s, 'b', T + 2000).ts).toBe(T + 2000);
  });
});
