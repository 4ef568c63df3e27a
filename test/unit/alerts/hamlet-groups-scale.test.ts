import { describe, expect, it } from 'vitest';
import { type AlertRule, AlertRuleSchema } from '../../../config/schema/alerts.ts';
import {
  causeOf,
  conditionSince,
  type DeviceFacts,
  type StatusFacts,
} from '../../../services/alerts/conditions.ts';
import { hamletGroup, hamletIndex } from '../../../services/alerts/hamlet-groups.ts';

type Status = StatusFacts & { deviceId: string; communeId: string };

/** The grouping as it was before the index (a scan of every status per opening): the reference. */
function quadraticGroup(opts: {
  communeId: string;
  device: DeviceFacts;
  rule: AlertRule;
  sinceTs: number;
  statuses: Iterable<Status>;
  factsOf: (id: string) => DeviceFacts | undefined;
  rules: readonly AlertRule[];
  windowMs: number;
  now: number;
}) {
  const { device, rule, windowMs, now } = opts;
  if (windowMs <= 0 || rule.kind !== 'down-for') return undefined;
  let holdUntilTs = now;
  for (const status of opts.statuses) {
    if (status.communeId !== opts.communeId || status.deviceId === device.id || causeOf(status) !== null)
      continue;
    const facts = opts.factsOf(status.deviceId);
    if (facts?.hamletId !== device.hamletId) continue;
    for (const r of opts.rules) {
      if (r.kind !== 'down-for') continue;
      const since = conditionSince(r, facts, status);
      if (since === null || Math.abs(since - opts.sinceTs) > windowMs) continue;
      holdUntilTs = Math.max(holdUntilTs, since + r.minutes * 60_000);
    }
  }
  return {
    key: `hamlet:${opts.communeId}:${device.hamletId}`,
    holdUntilTs: Math.min(holdUntilTs, now + windowMs),
  };
}

const NOW = Date.parse('2026-06-01T08:00:00+07:00');
const WINDOW_MS = 120_000;

/** A seeded pseudo-random sequence, so a failure can be replayed. */
function rng(seed: number) {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

function storm(n: number, hamlets: number, seed: number) {
  const rand = rng(seed);
  const facts = new Map<string, DeviceFacts>();
  const statuses: Status[] = [];
  const types = ['wifi-ap', 'loudspeaker', 'soil-sensor'];
  for (let i = 0; i < n; i++) {
    const id = `d${i}`;
    const communeId = i % 7 === 0 ? 'xa-b' : 'xa-a';
    facts.set(id, { id, type: types[i % 3]!, hamletId: `ap-${i % hamlets}`, siteId: `s-${i % 90}` });
    const r = rand();
    // Mostly down within a few minutes of each other, some up, some behind an uplink, some in maintenance.
    const state = r < 0.7 ? 'down' : r < 0.8 ? 'unreachable' : r < 0.9 ? 'up' : 'maintenance';
    const behindUplink = state === 'unreachable' && rand() < 0.5;
    statuses.push({
      deviceId: id,
      communeId,
      state,
      reason: behindUplink ? 'uplink-down' : state === 'up' ? 'heartbeat' : 'heartbeat-late',
      params: behindUplink ? { deviceId: 'uplink-1' } : {},
      sinceTs: NOW - Math.floor(rand() * 15 * 60_000),
      lastHeardTs: null,
    });
  }
  // One device the inventory no longer knows.
  statuses.push({ ...statuses[0]!, deviceId: 'gone' });
  return { facts, statuses };
}

const rules: AlertRule[] = [
  AlertRuleSchema.parse({ kind: 'down-for', id: 'mat-10', minutes: 10 }),
  AlertRuleSchema.parse({ kind: 'down-for', id: 'loa-3', minutes: 3, deviceTypes: ['loudspeaker'] }),
  AlertRuleSchema.parse({ kind: 'silent', id: 'im-lang', minutes: 120 }),
];

describe('grouping by hamlet at scale', () => {
  it('5,000 alerts over 40 hamlets: the indexed grouping gives the groups the scan gave', () => {
    const { facts, statuses } = storm(5000, 40, 14);
    let looks = 0;
    const factsOf = (id: string) => facts.get(id);
    const counted = (id: string) => {
      looks++;
      return facts.get(id);
    };
    const index = hamletIndex({ statuses, factsOf: counted, rulesOf: () => rules });
    let compared = 0;
    let held = 0;
    const fast: unknown[] = [];
    const openings: Array<{ s: Status; d: DeviceFacts; rule: AlertRule; since: number }> = [];
    for (const s of statuses) {
      const d = factsOf(s.deviceId);
      if (!d) continue;
      for (const rule of rules) {
        const since = conditionSince(rule, d, s);
        if (since !== null) openings.push({ s, d, rule, since });
      }
    }
    for (const o of openings)
      fast.push(
        hamletGroup(index, {
          communeId: o.s.communeId,
          device: o.d,
          rule: o.rule,
          sinceTs: o.since,
          windowMs: WINDOW_MS,
          now: NOW,
        }),
      );
    // Linear: each status is looked at once for the whole storm, not once per opening (the scan's n²).
    expect(looks).toBeLessThanOrEqual(statuses.length);
    openings.forEach((o, i) => {
      const want = quadraticGroup({
        communeId: o.s.communeId,
        device: o.d,
        rule: o.rule,
        sinceTs: o.since,
        statuses,
        factsOf,
        rules,
        windowMs: WINDOW_MS,
        now: NOW,
      });
      expect(fast[i], `${o.d.id} ${o.rule.id}`).toEqual(want);
      compared++;
      if (want && want.holdUntilTs > NOW) held++;
    });
    expect(compared).toBeGreaterThan(5000);
    // The comparison means something: many openings wait for others of their hamlet.
    expect(held).toBeGreaterThan(1000);
  }, 180_000);

  it('a window of 0 or a rule other than down-for groups nothing', () => {
    const { facts, statuses } = storm(50, 4, 3);
    const index = hamletIndex({ statuses, factsOf: (id) => facts.get(id), rulesOf: () => rules });
    const base = { communeId: 'xa-a', device: facts.get('d1')!, sinceTs: NOW, now: NOW };
    expect(hamletGroup(index, { ...base, rule: rules[0]!, windowMs: 0 })).toBeUndefined();
    expect(hamletGroup(index, { ...base, rule: rules[2]!, windowMs: WINDOW_MS })).toBeUndefined();
  });
});
