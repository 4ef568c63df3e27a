import { type Bucket, type DeviceLedger, emptyMs, type LedgerMs } from './ledger.ts';

/**
 * A group's state at each instant (a hamlet's loudspeakers, a community house's Wi-Fi): working
 * when at least one member is available. Otherwise unavailable when one is down or unreachable
 * (the others may be in maintenance: the people there still have no service), else unknown, else
 * maintenance. Time no member counts for is not counted for the group.
 */
const RANK: Record<Bucket, number> = { available: 3, unavailable: 2, unknown: 1, maintenance: 0 };

export function groupMs(members: readonly DeviceLedger[]): LedgerMs {
  const ms = emptyMs();
  const cuts = new Set<number>();
  for (const m of members)
    for (const s of m.segments) {
      cuts.add(s.startTs);
      cuts.add(s.endTs);
    }
  const edges = [...cuts].sort((a, b) => a - b);
  const at = members.map(() => 0);
  for (let k = 0; k + 1 < edges.length; k++) {
    const a = edges[k]!;
    const b = edges[k + 1]!;
    let best: Bucket | null = null;
    members.forEach((m, i) => {
      let j = at[i]!;
      while (j < m.segments.length && m.segments[j]!.endTs <= a) j++;
      at[i] = j;
      const s = m.segments[j];
      if (s && s.startTs <= a && (best === null || RANK[s.bucket] > RANK[best])) best = s.bucket;
    });
    if (best !== null) ms[best as Bucket] += b - a;
  }
  return ms;
}
