import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_LIMITS } from '../../services/broker/client-budget.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

// The real service in this process (broker, ingest, SQLite) with the default limits, on a clock
// the test holds still while it floods and moves on to end a cool-down. On the wall clock a
// loaded machine let buckets refill and cool-downs end in the middle of a flood (64 checked
// CONNECTs where at most 62 may be, 19 where 12; reconnects "during" a cool-down that was over).
const {
  rejectsPer10s: REJECTS,
  connectsPer10s: CONNECTS,
  connectsPerAddressPer10s: PER_ADDRESS,
  firstCoolDownSec: COOL_DOWN_SEC,
} = DEFAULT_CLIENT_LIMITS;
/** §3.2.2.3 0x03 Server unavailable: what a cool-down answers. */
const COOLING_DOWN = 3;

/** Wall time while it runs; still while paused; moved on by advance(). */
const clock = (() => {
  let offsetMs = 0;
  let pausedAt: number | null = null;
  return {
    now: (): number => pausedAt ?? Date.now() + offsetMs,
    pause(): void {
      pausedAt ??= Date.now() + offsetMs;
    },
    resume(): void {
      if (pausedAt !== null) offsetMs = pausedAt - Date.now();
      pausedAt = null;
    },
    advance(ms: number): void {
      if (pausedAt !== null) pausedAt += ms;
      else offsetMs += ms;
    },
  };
})();
const GOOD = ['tl-cam-01', 'tl-wifi-ubnd', 'tl-loa-02'];

let app: TestApp;
let admin: string;
const clients: MqttClient[] = [];
const timers = new Set<NodeJS.Timeout>();
const topic = (id: string, channel: string) => `cx/v1/ta-lai/${id}/${channel}`;

beforeAll(async () => {
  app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }', clock: clock.now });
  admin = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
});

afterEach(() => clock.resume());

afterAll(async () => {
  for (const t of timers) clearInterval(t);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await app?.stop();
});

interface Stats {
  rejectsByReason: Array<{ source: string; reason: string; deviceId: string; count: number }>;
  acceptedByDevice: Record<string, number>;
  broker: { refused: Record<string, number>; coolingDown: number };
}

async function stats(): Promise<Stats> {
  const res = await fetch(`${app.apiUrl}/api/ingest/stats`, { headers: { cookie: admin } });
  expect(res.status).toBe(200);
  return (await res.json()) as Stats;
}

async function rejectRows(): Promise<Array<{ reason: string; deviceId: string | null; detail: string }>> {
  const res = await fetch(`${app.apiUrl}/api/ingest/rejects?limit=500`, { headers: { cookie: admin } });
  return (await res.json()) as Array<{ reason: string; deviceId: string | null; detail: string }>;
}

const countOf = (s: Stats, reason: string, deviceId: string) =>
  s.rejectsByReason.find((r) => r.reason === reason && r.deviceId === deviceId)?.count ?? 0;
const refused = (s: Stats, reason: string) => s.broker.refused[reason] ?? 0;

/** Resolves with the CONNACK return code: 0 when connected (the client is kept), else the refusal's. */
function tryConnect(id: string, opts: IClientOptions = {}): Promise<{ code: number; client: MqttClient }> {
  const client = mqtt.connect(app.mqttUrl, {
    clientId: id,
    username: id,
    password: app.devicePasswords.get(id),
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...opts,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      clients.push(client);
      resolve({ code: 0, client });
    });
    client.once('error', (err: Error & { code?: number }) => {
      client.end(true);
      if (typeof err.code === 'number') resolve({ code: err.code, client });
      else reject(err);
    });
    // Closed without a CONNACK or an error (no reconnects): fail now, not at the test's timeout.
    client.once('close', () => reject(new Error(`${id}: connection closed before a CONNACK`)));
  });
}

/** `attempts` CONNECTs, `parallel` at a time; their CONNACK codes in the order answered. */
async function flood(attempts: number, parallel: number, attempt: (n: number) => Promise<number>) {
  const codes: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < attempts) codes.push(await attempt(next++));
    }),
  );
  return codes;
}

async function connect(id: string): Promise<MqttClient> {
  const { code, client } = await tryConnect(id);
  expect(code, `${id} CONNACK`).toBe(0);
  return client;
}

/** Good devices heartbeating at QoS 1 every 50 ms, each publish's PUBACK awaited. */
async function heartbeating(ids: string[]) {
  const conns = await Promise.all(ids.map(connect));
  const before = (await stats()).acceptedByDevice;
  const pending: Array<Promise<unknown>> = [];
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    for (const [i, c] of conns.entries()) {
      const p = c.publishAsync(topic(ids[i]!, 'heartbeat'), JSON.stringify({ v: 1, seq }), { qos: 1 });
      // Judged in stop(); not an unhandled rejection if a test fails before it.
      p.catch(() => {});
      pending.push(p);
    }
  }, 50);
  timers.add(timer);
  return {
    /** Stops, and checks that every heartbeat was acknowledged and accepted. */
    async stop(): Promise<number> {
      clearInterval(timer);
      await Promise.all(pending);
      const after = (await stats()).acceptedByDevice;
      for (const id of ids) expect(after[id]! - (before[id] ?? 0), id).toBe(seq);
      await Promise.all(conns.map((c) => c.endAsync()));
      return seq * ids.length;
    },
  };
}

describe('per-client rate limits', () => {
  it('disconnects a device flooding malformed JSON, refuses it for a doubling cool-down, and counts everything', async () => {
    const good = await heartbeating(GOOD);
    const flooder = 'tl-loa-01';
    const s0 = await stats();
    clock.pause();
    const c = await connect(flooder);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    for (let i = 0; i < 500; i++) c.publish(topic(flooder, 'telemetry'), '{"v":1,"ts":', { qos: 0 });
    await closed;

    // Refused messages beyond the budget were never read: the 21st closed the connection.
    const s1 = await stats();
    expect(countOf(s1, 'malformed-json', flooder) - countOf(s0, 'malformed-json', flooder)).toBe(REJECTS + 1);
    expect(s1.broker.coolingDown).toBeGreaterThanOrEqual(1);
    const limited1 = refused(s1, 'rate-limited') - refused(s0, 'rate-limited');
    // The cut-off itself, and at most one packet already read behind the one that crossed the limit.
    expect(limited1).toBeGreaterThanOrEqual(1);
    expect(limited1).toBeLessThanOrEqual(2);

    // Reconnecting during the cool-down: 0x03 Server unavailable, each one counted, one row in all.
    for (let i = 0; i < 4; i++) expect((await tryConnect(flooder)).code).toBe(COOLING_DOWN);
    const s2 = await stats();
    expect(refused(s2, 'rate-limited') - refused(s1, 'rate-limited')).toBe(4);
    expect(countOf(s2, 'rate-limited', flooder) - countOf(s0, 'rate-limited', flooder)).toBe(limited1 + 4);
    const rows = (await rejectRows()).filter((r) => r.reason === 'rate-limited' && r.deviceId === flooder);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toMatch(
      /^disconnected: over 20 refused messages in 10 s, refused until .* \(strike 1\)$/,
    );

    // After the cool-down it is welcome again; a repeat doubles the next one.
    clock.advance(COOL_DOWN_SEC * 1000);
    const again = await connect(flooder);
    await again.publishAsync(topic(flooder, 'heartbeat'), JSON.stringify({ v: 1 }), { qos: 1 });
    const closedAgain = new Promise<void>((r) => again.once('close', () => r()));
    for (let i = 0; i < 100; i++) again.publish(topic(flooder, 'telemetry'), 'not json', { qos: 0 });
    await closedAgain;
    clock.advance(COOL_DOWN_SEC * 1000);
    expect((await tryConnect(flooder)).code, 'still cooling down: 2 × the first').toBe(COOLING_DOWN);
    const latest = (await rejectRows()).find((r) => r.reason === 'rate-limited' && r.deviceId === flooder);
    expect(latest!.detail).toMatch(/\(strike 2\)$/);
    clock.advance(COOL_DOWN_SEC * 1000);
    await (await connect(flooder)).endAsync();

    expect(await good.stop()).toBeGreaterThan(0);
  });

  it('cuts off a wrong-password CONNECT flood naming one device before scrypt, without locking the device out', async () => {
    const victim = 'tl-cam-05';
    const good = await heartbeating(GOOD);
    const s0 = await stats();
    clock.pause();
    // The device has connected before: its password is proven from memory from now on.
    await (await connect(victim)).endAsync();
    const attempts = 150;
    // Eight at a time, each with a new guess, so the refused-password cache cannot answer them.
    const codes = await flood(
      attempts,
      8,
      async (n) => (await tryConnect(victim, { password: `guess-${n}` })).code,
    );
    // The device itself gets in during the cool-down its impostor caused.
    const proven = await tryConnect(victim);
    expect(proven.code).toBe(0);

    const s1 = await stats();
    const badPassword = refused(s1, 'bad-password') - refused(s0, 'bad-password');
    const limited = refused(s1, 'rate-limited') - refused(s0, 'rate-limited');
    expect(badPassword + limited).toBe(attempts);
    // Only those within the budget reached the password check (one hash check each); the device's
    // own first CONNECT above was not proven yet and took one of the budget's ten.
    expect(badPassword).toBe(CONNECTS - 1);
    expect(codes.filter((c) => c === 4)).toHaveLength(badPassword);
    expect(codes.filter((c) => c === COOLING_DOWN)).toHaveLength(limited);
    // Persisted counters agree with the broker's, and the reject log holds one row of the cool-down.
    expect(countOf(s1, 'bad-password', victim) - countOf(s0, 'bad-password', victim)).toBe(badPassword);
    expect(countOf(s1, 'rate-limited', victim) - countOf(s0, 'rate-limited', victim)).toBe(limited);
    await good.stop();
  });

  it('cuts off a flood of unknown client ids from one address, but not the devices proven from it', async () => {
    // A device that connected from this address before the flood (not one of GOOD: connecting
    // as one of them would take over its session and strand its heartbeats, which hung the test).
    const neighbour = 'tl-cam-02';
    await (await connect(neighbour)).endAsync();
    const good = await heartbeating(GOOD);
    const s0 = await stats();
    // A full window on: the address's bucket is full again whatever the tests before refused.
    clock.advance(10_000);
    clock.pause();
    const attempts = 120;
    const codes = await flood(
      attempts,
      6,
      async (n) => (await tryConnect(`intruder-${n}`, { password: 'x' })).code,
    );
    const s1 = await stats();
    const unknown = refused(s1, 'unknown-client') - refused(s0, 'unknown-client');
    const limited = refused(s1, 'rate-limited') - refused(s0, 'rate-limited');
    expect(unknown + limited).toBe(attempts);
    // The refusal that finds the bucket empty is answered (0x04, as for a wrong password: the code
    // does not say which ids exist), then begins the cool-down: every later CONNECT gets 0x03.
    expect(unknown).toBe(PER_ADDRESS + 1);
    expect(codes.filter((c) => c === 4)).toHaveLength(unknown);
    expect(codes.filter((c) => c === COOLING_DOWN)).toHaveLength(limited);
    // Same address (127.0.0.1), password proven from memory: admitted.
    expect((await tryConnect(neighbour)).code).toBe(0);
    await good.stop();
  });
});

describe('a NAT flood right after a restart', () => {
  it('does not lock out a device that has not connected since the start, but still refuses unknown ids', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cx-nat-'));
    const first = await startTestApp({ dataDir, limits: { firstCoolDownSec: 30 } });
    const victim = 'tl-loa-04';
    // Known to the first run (its password would be proven from memory there); the restart forgets that.
    const before = await mqtt.connectAsync(first.mqttUrl, {
      clientId: victim,
      username: victim,
      password: first.devicePasswords.get(victim)!,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    await before.endAsync();
    await first.stop();
    const second = await startTestApp({ dataDir, limits: { firstCoolDownSec: 30 } });
    try {
      const attemptAt = (id: string, password: string | undefined) =>
        new Promise<number>((resolve, reject) => {
          const c = mqtt.connect(second.mqttUrl, {
            clientId: id,
            username: id,
            password,
            protocolVersion: 4,
            reconnectPeriod: 0,
            connectTimeout: 10_000,
          });
          c.once('connect', () => {
            c.end(true);
            resolve(0);
          });
          c.once('error', (err: Error & { code?: number }) => {
            c.end(true);
            if (typeof err.code === 'number') resolve(err.code);
            else reject(err);
          });
        });
      // 70 bad CONNECTs from 127.0.0.1 (a commune behind one NAT): unknown ids, a wrong password.
      const codes: number[] = [];
      for (let i = 0; i < 70; i += 7)
        codes.push(
          ...(await Promise.all(Array.from({ length: 7 }, (_, k) => attemptAt(`lạ-${i + k}`, 'x')))),
        );
      expect(codes.filter((c) => c === 3).length, 'the address is cooling down').toBeGreaterThan(0);
      expect(await attemptAt('lạ-next', 'x'), 'unknown ids stay refused by the address').toBe(3);
      // The right password gets in; a wrong one naming a device is judged, and refused as such.
      expect(await attemptAt(victim, second.devicePasswords.get(victim)), 'never-connected device').toBe(0);
      expect(await attemptAt('tl-loa-03', 'wrong-password')).toBe(4);
      expect(await attemptAt('tl-loa-03', second.devicePasswords.get('tl-loa-03'))).toBe(0);
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
