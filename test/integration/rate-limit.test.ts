import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_LIMITS } from '../../services/broker/client-budget.ts';
import { login, startTestApp, type TestApp } from '../setup/app.ts';

// The real service in this process (broker, ingest, SQLite), with the default limits but a short
// first cool-down so its end and its doubling fit in a test.
const COOL_DOWN_SEC = 2;
const {
  rejectsPer10s: REJECTS,
  connectsPer10s: CONNECTS,
  connectsPerAddressPer10s: PER_ADDRESS,
} = DEFAULT_CLIENT_LIMITS;
const GOOD = ['tl-cam-01', 'tl-wifi-ubnd', 'tl-loa-02'];

let app: TestApp;
let admin: string;
const clients: MqttClient[] = [];
const timers = new Set<NodeJS.Timeout>();
const topic = (id: string, channel: string) => `cx/v1/ta-lai/${id}/${channel}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  app = await startTestApp({
    limits: { firstCoolDownSec: COOL_DOWN_SEC },
    extra: 'ingest: { batchMaxDelayMs: 20 }',
  });
  admin = await login(app, 'quantri.talai', app.userPasswords.get('quantri.talai')!);
});

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
  });
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
    for (let i = 0; i < 4; i++) expect((await tryConnect(flooder)).code).toBe(3);
    const s2 = await stats();
    expect(refused(s2, 'rate-limited') - refused(s1, 'rate-limited')).toBe(4);
    expect(countOf(s2, 'rate-limited', flooder) - countOf(s0, 'rate-limited', flooder)).toBe(limited1 + 4);
    const rows = (await rejectRows()).filter((r) => r.reason === 'rate-limited' && r.deviceId === flooder);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.detail).toMatch(
      /^disconnected: over 20 refused messages in 10 s, refused until .* \(strike 1\)$/,
    );

    // After the cool-down it is welcome again; a repeat doubles the next one.
    await sleep(COOL_DOWN_SEC * 1000 + 100);
    const again = await connect(flooder);
    await again.publishAsync(topic(flooder, 'heartbeat'), JSON.stringify({ v: 1 }), { qos: 1 });
    const closedAgain = new Promise<void>((r) => again.once('close', () => r()));
    for (let i = 0; i < 100; i++) again.publish(topic(flooder, 'telemetry'), 'not json', { qos: 0 });
    await closedAgain;
    await sleep(COOL_DOWN_SEC * 1000 + 100);
    expect((await tryConnect(flooder)).code, 'still cooling down: 2 × the first').toBe(3);
    const latest = (await rejectRows()).find((r) => r.reason === 'rate-limited' && r.deviceId === flooder);
    expect(latest!.detail).toMatch(/\(strike 2\)$/);

    expect(await good.stop()).toBeGreaterThan(0);
  });

  it('cuts off a wrong-password CONNECT flood naming one device before scrypt, without locking the device out', async () => {
    const victim = 'tl-cam-05';
    // The device has connected before: its password is proven from memory from now on.
    await (await connect(victim)).endAsync();
    const good = await heartbeating(GOOD);
    const s0 = await stats();
    const attempts = 150;
    let next = 0;
    const codes: number[] = [];
    // Eight at a time, each with a new guess, so the refused-password cache cannot answer them.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < attempts) {
          const n = next++;
          codes.push((await tryConnect(victim, { password: `guess-${n}` })).code);
        }
      }),
    );
    // The device itself gets in during the cool-down its impostor caused.
    const proven = await tryConnect(victim);
    expect(proven.code).toBe(0);

    const s1 = await stats();
    const badPassword = refused(s1, 'bad-password') - refused(s0, 'bad-password');
    const limited = refused(s1, 'rate-limited') - refused(s0, 'rate-limited');
    expect(badPassword + limited).toBe(attempts);
    // Only those within the budget reached the password check (one scrypt each); the device's own
    // first CONNECT above was not proven yet and took one of the budget's ten.
    expect(badPassword).toBeGreaterThanOrEqual(CONNECTS - 1);
    expect(badPassword).toBeLessThanOrEqual(CONNECTS + 2);
    expect(codes.filter((c) => c === 4)).toHaveLength(badPassword);
    expect(codes.filter((c) => c === 3)).toHaveLength(limited);
    // Persisted counters agree with the broker's, and the reject log holds one row of the cool-down.
    expect(countOf(s1, 'bad-password', victim) - countOf(s0, 'bad-password', victim)).toBe(badPassword);
    expect(countOf(s1, 'rate-limited', victim) - countOf(s0, 'rate-limited', victim)).toBe(limited);
    await good.stop();
  });

  it('cuts off a flood of unknown client ids from one address, but not the devices proven from it', async () => {
    const good = await heartbeating(GOOD);
    const s0 = await stats();
    const attempts = 120;
    const t0 = Date.now();
    for (let i = 0; i < attempts; i += 6)
      await Promise.all(
        Array.from({ length: 6 }, (_, k) => tryConnect(`intruder-${i + k}`, { password: 'x' })),
      );
    // The address's bucket refills at PER_ADDRESS per 10 s while the flood runs: on a busy machine
    // the flood takes longer, and that refill is refused CONNECTs the budget rightly let through.
    const refill = Math.ceil(((Date.now() - t0) / 10_000) * PER_ADDRESS);
    const s1 = await stats();
    const unknown = refused(s1, 'unknown-client') - refused(s0, 'unknown-client');
    const limited = refused(s1, 'rate-limited') - refused(s0, 'rate-limited');
    expect(unknown + limited).toBe(attempts);
    expect(unknown).toBeLessThanOrEqual(PER_ADDRESS + refill + 2);
    expect(limited).toBeGreaterThanOrEqual(attempts - PER_ADDRESS - refill - 2);
    // Same address (127.0.0.1), password proven from memory: admitted.
    expect((await tryConnect('tl-cam-01')).code).toBe(0);
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
