import { describe, expect, it } from 'vitest';
import { ServiceRuns } from '../../../../services/availability/service-runs.ts';
import { FencedIntervalLog, FencedServiceRuns } from '../../../../services/ingest/external/fencing.ts';
import { ShardLeases } from '../../../../services/ingest/external/lease.ts';
import { type Db, openDb } from '../../../../services/store/db.ts';

const TTL = 1000;
const SHARDS = ['mau', 'ta-lai', 'thu'];

function cluster(shards = SHARDS) {
  const db = openDb(':memory:');
  let now = 1_790_000_000_000;
  const clock = () => now;
  const worker = (id: string) => {
    const leases = new ShardLeases({ db, workerId: id, host: 'h', pid: 1, shards, ttlMs: TTL, clock });
    const held = new Set<string>();
    return {
      leases,
      held,
      /** One round, applied as ExternalSource applies it (a proposed release is carried out). */
      round() {
        const plan = leases.tick(held);
        for (const s of plan.lost) held.delete(s);
        for (const s of plan.take) held.add(s);
        for (const s of plan.release) {
          held.delete(s);
          leases.release(s);
        }
        return plan;
      },
    };
  };
  return { db, worker, advance: (ms: number) => (now += ms), now: () => now };
}

const sorted = (s: Set<string>) => [...s].sort();
const events = (db: Db) =>
  db
    .prepare('SELECT commune_id AS c, owner, event, previous_owner AS prev FROM shard_lease_log ORDER BY id')
    .all() as Array<{
    c: string;
    owner: string;
    event: string;
    prev: string | null;
  }>;

describe('shard leases', () => {
  it('splits the shards by ceil(shards / live workers) and never gives one shard to two workers', () => {
    const { worker, advance } = cluster();
    const a = worker('a');
    const b = worker('b');
    a.leases.join();
    b.leases.join();
    expect(a.round().take).toEqual(['mau', 'ta-lai']);
    expect(b.round().take).toEqual(['thu']);
    advance(TTL / 3);
    expect(a.round()).toMatchObject({ take: [], lost: [], release: [], liveWorkers: 2 });
    expect(b.round()).toMatchObject({ take: [], lost: [], release: [] });
    expect(a.leases.holds('mau') && !b.leases.holds('mau')).toBe(true);
  });

  it("lets a peer take a dead worker's shards once its leases lapse, and tells the stalled worker it lost them", () => {
    const { db, worker, advance } = cluster();
    const a = worker('a');
    const b = worker('b');
    a.leases.join();
    b.leases.join();
    a.round();
    b.round();
    advance(TTL / 2);
    expect(b.round().take).toEqual([]); // a's leases are still good
    advance(TTL);
    // a is silent (killed, or paused): its leases and its presence have lapsed.
    expect(b.round()).toMatchObject({ take: ['mau', 'ta-lai'], liveWorkers: 1 });
    expect(sorted(b.held)).toEqual(SHARDS);
    expect(events(db).filter((e) => e.event === 'take' && e.owner === 'b' && e.prev === 'a')).toHaveLength(2);
    // a wakes up: its round renews nothing, and the fence check says the shards are not its own.
    expect(a.leases.holds('mau')).toBe(false);
    expect([...a.round().lost].sort()).toEqual(['mau', 'ta-lai']);
  });

  it('gives back surplus one shard a round when a worker joins, and the newcomer takes it', () => {
    const { worker, advance } = cluster();
    const a = worker('a');
    a.leases.join();
    a.round();
    expect(sorted(a.held)).toEqual(SHARDS);
    const b = worker('b');
    b.leases.join();
    advance(TTL / 3);
    expect(b.round().take).toEqual([]); // nothing free yet
    expect(a.round().release).toEqual(['thu']); // share is now 2
    expect(b.round().take).toEqual(['thu']);
    advance(TTL / 3);
    expect(a.round().release).toEqual([]);
    expect(sorted(a.held)).toEqual(['mau', 'ta-lai']);
  });

  it('takes a shard left free for a whole ttl even over its share, so a silent peer cannot strand it', () => {
    const { db, worker, advance, now } = cluster(['mau', 'thu']);
    const a = worker('a');
    worker('idle').leases.join();
    a.leases.join();
    // `idle` keeps announcing itself but never takes anything (say, its broker link hangs).
    const idleAlive = () =>
      db.prepare("UPDATE ingest_workers SET alive_ts = ? WHERE worker_id = 'idle'").run(now());
    expect(a.round()).toMatchObject({ take: ['mau'], liveWorkers: 2 }); // share 1 of 2
    advance(TTL / 2);
    idleAlive();
    expect(a.round()).toMatchObject({ take: [], liveWorkers: 2 });
    advance(TTL / 2 + 1);
    idleAlive();
    expect(a.round()).toMatchObject({ take: ['thu'], liveWorkers: 2 });
  });
});

describe('service runs per scope', () => {
  it("dates a commune's gap from that commune's previous run, falling back to a whole-service run", () => {
    const db = openDb(':memory:');
    const whole = new ServiceRuns(db);
    whole.begin(100);
    whole.alive(150);
    const ta = new ServiceRuns(db, 'ta-lai');
    expect(ta.begin(200).previousAliveTs).toBe(150);
    ta.alive(260);
    const thu = new ServiceRuns(db, 'thu');
    expect(thu.begin(300).previousAliveTs).toBe(150);
    thu.end(320);
    expect(new ServiceRuns(db, 'ta-lai').begin(400).previousAliveTs).toBe(260);
    expect(new ServiceRuns(db, 'thu').begin(400).previousAliveTs).toBe(320);
  });
});

describe('fencing', () => {
  it("writes a shard's intervals and alive marks only while its lease is ours, and says so once", () => {
    const db = openDb(':memory:');
    let ours = true;
    let fenced = 0;
    const fence = { db, holds: () => ours, onFenced: () => (fenced += 1) };
    const intervals = new FencedIntervalLog(fence);
    const runs = new FencedServiceRuns(fence, 'ta-lai');
    const row = {
      deviceId: 'tl-cam-01',
      communeId: 'ta-lai',
      state: 'up' as const,
      reason: 'heartbeat',
      params: {},
      lastHeardTs: 1,
    };
    runs.begin(100);
    intervals.transition({ ...row, ts: 100 });
    ours = false;
    intervals.transition({ ...row, state: 'down', reason: 'heartbeat-late', ts: 200 });
    intervals.transition({ ...row, state: 'unknown', reason: 'awaiting-evidence', ts: 300 });
    runs.alive(400);
    runs.end(500);
    expect(db.prepare('SELECT state, start_ts AS s, end_ts AS e FROM state_intervals').all()).toEqual([
      { state: 'up', s: 100, e: null },
    ]);
    expect(db.prepare('SELECT alive_ts AS a, stopped_ts AS st FROM service_runs').get()).toEqual({
      a: 100,
      st: null,
    });
    expect(fenced).toBe(1);
  });
});
