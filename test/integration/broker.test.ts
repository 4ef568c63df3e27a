import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DeviceCredentials } from '../../services/auth/device-credentials.ts';
import { Broker, type BrokerMessage } from '../../services/broker/broker.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../services/broker/client-budget.ts';
import { RejectLog } from '../../services/ingest/reject-log.ts';
import { DeviceDirectory } from '../../services/inventory/device-directory.ts';
import { rootLogger } from '../../services/shared/logger.ts';
import { type Db, openDb } from '../../services/store/db.ts';
import { buildCommune } from '../fixtures/mini-commune.ts';
import { waitFor } from '../setup/helpers.ts';

// A camera, a LoRa gateway with a soil sensor behind it, and a second camera.
const commune = buildCommune({
  sites: [
    { id: 'ubnd', name: 'UBND xã', kind: 'ubnd' },
    { id: 'farm', name: 'Trang trại', kind: 'farm', location: { lat: 11.38, lon: 107.36 } },
  ],
  devices: [
    { id: 'xt-cam-01', type: 'camera', name: 'Camera cổng' },
    { id: 'xt-gw-01', type: 'gateway', name: 'Gateway LoRa', site: 'farm' },
    { id: 'xt-soil-01', type: 'soil-sensor', name: 'Cảm biến đất 1', site: 'farm', behind: 'xt-gw-01' },
    { id: 'xt-cam-02', type: 'camera', name: 'Camera chợ' },
  ],
});
const PASSWORDS: Record<string, string> = {
  'xt-cam-01': 'cam-one-secret',
  'xt-gw-01': 'gateway-secret',
  'xt-soil-01': 'soil-secret',
  'xt-cam-02': 'cam-two-secret',
};
const MAX_PAYLOAD = 1024;
const UNLIMITED = {
  ...DEFAULT_CLIENT_LIMITS,
  rejectsPer10s: 1_000_000,
  connectsPer10s: 1_000_000,
  connectsPerAddressPer10s: 1_000_000,
};
const topic = (device: string, channel: string) => `cx/v1/xa-thu/${device}/${channel}`;
const heartbeat = JSON.stringify({ v: 1, seq: 1 });

let tmp: string;
let db: Db;
let rejects: RejectLog;
let credentials: DeviceCredentials;
let directory: DeviceDirectory;
let port: number;
let broker: Broker;
const received: BrokerMessage[] = [];
const clients: MqttClient[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cx-broker-'));
  db = openDb(join(tmp, 'canhxa.db'));
  rejects = new RejectLog(db, { kept: 1000 });
  credentials = new DeviceCredentials(db);
  for (const [id, pw] of Object.entries(PASSWORDS)) await credentials.set(id, pw);
  directory = new DeviceDirectory({ communes: [commune] });
  broker = newBroker((m) => received.push(m));
  ({ port } = await broker.start());
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
});

afterAll(async () => {
  await broker.stop();
  db.close();
  rmSync(tmp, { recursive: true, force: true });
});

function newBroker(onPublish: (m: BrokerMessage) => void): Broker {
  return new Broker({
    // These tests connect the same devices many times a second; rate-limit.test.ts tests the limits.
    config: { host: '127.0.0.1', port: 0, maxPayloadBytes: MAX_PAYLOAD, limits: UNLIMITED },
    directory,
    credentials,
    rejects,
    // A real ingest acknowledges once the message is durable; here, at once.
    onPublish: (m, done) => {
      onPublish(m);
      done();
    },
    log: rootLogger,
  });
}

/** Connects with mqtt.js, MQTT 3.1.1, no reconnect; rejects with the CONNACK error on refusal. */
function connect(id: string, opts: IClientOptions = {}, toPort = port): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${toPort}`, {
    clientId: id,
    username: id,
    password: PASSWORDS[id],
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...opts,
  });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

function refusedCode(p: Promise<unknown>): Promise<number | string | undefined> {
  return p.then(
    () => 'connected',
    (err: { code?: number }) => err.code,
  );
}

/** SUBACK return codes; mqtt.js rejects a SUBACK holding 0x80, so the callback API is used. */
function granted(client: MqttClient, filters: string[]): Promise<number[]> {
  return new Promise((resolve, reject) =>
    client.subscribe(filters, { qos: 1 }, (_err, _subs, packet) =>
      packet ? resolve(packet.granted.map(Number)) : reject(_err ?? new Error('no SUBACK')),
    ),
  );
}

function closed(client: MqttClient): Promise<void> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a mosquitto client (async: the broker lives in this process and must keep serving). */
function cli(
  cmd: 'mosquitto_pub' | 'mosquitto_sub',
  id: string,
  args: string[],
  opts: { user?: string; password?: string } = {},
): Promise<CliResult> {
  const user = opts.user ?? id;
  const pw = opts.password ?? PASSWORDS[user] ?? 'none';
  const full = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-i',
    id,
    '-u',
    user,
    '-P',
    pw,
    '-V',
    'mqttv311',
    ...args,
  ];
  return new Promise((resolve) =>
    execFile(cmd, full, { timeout: 10_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    ),
  );
}

const refusedCount = (reason: string) =>
  broker.stats().refused[reason as keyof ReturnType<Broker['stats']>['refused']] ?? 0;
const receivedOn = (t: string) => received.filter((m) => m.topic === t);

describe('broker: authentication', () => {
  it('accepts a device with its own credentials and hands its QoS 1 heartbeat to onPublish before PUBACK', async () => {
    const c = await connect('xt-cam-01');
    const before = received.length;
    await c.publishAsync(topic('xt-cam-01', 'heartbeat'), heartbeat, { qos: 1 });
    // publishAsync resolves on PUBACK: the message must already be there.
    const got = received.slice(before).find((m) => m.topic === topic('xt-cam-01', 'heartbeat'));
    expect(got).toMatchObject({ deviceId: 'xt-cam-01', clientId: 'xt-cam-01', qos: 1, retain: false });
    expect(got?.payload.toString()).toBe(heartbeat);
    expect(got?.receivedTs).toBeGreaterThan(Date.now() - 10_000);
  });

  it('keeps no plain password in memory once the CONNECT is judged', async () => {
    await connect('xt-cam-02');
    // aedes's client and mqtt-packet's parser are not ours; this reaches into them on purpose, to
    // see the CONNECT packet the parser keeps for the life of the connection.
    const internals = broker as unknown as {
      aedes: { clients: Record<string, { _parser: { settings: { password?: Buffer } } }> };
    };
    const kept = internals.aedes.clients['xt-cam-02']!._parser.settings.password!;
    expect(kept.length).toBe(PASSWORDS['xt-cam-02']!.length);
    expect(kept.every((b) => b === 0)).toBe(true);
  });

  it('accepts a heartbeat from mosquitto_pub', async () => {
    const r = await cli('mosquitto_pub', 'xt-cam-02', [
      '-q',
      '1',
      '-t',
      topic('xt-cam-02', 'heartbeat'),
      '-m',
      heartbeat,
    ]);
    expect(r).toMatchObject({ code: 0 });
    expect(receivedOn(topic('xt-cam-02', 'heartbeat')).at(-1)?.deviceId).toBe('xt-cam-02');
  });

  it('refuses a wrong password with CONNACK 4 and counts bad-password', async () => {
    const before = refusedCount('bad-password');
    expect(await refusedCode(connect('xt-cam-01', { password: 'guess' }))).toBe(4);
    const r = await cli(
      'mosquitto_pub',
      'xt-cam-01',
      ['-t', topic('xt-cam-01', 'heartbeat'), '-m', heartbeat],
      { password: 'guess' },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad user name or password/);
    expect(refusedCount('bad-password')).toBe(before + 2);
  });

  it('refuses an unknown device with the same CONNACK 4 and counts unknown-client', async () => {
    const before = refusedCount('unknown-client');
    expect(await refusedCode(connect('xt-ghost', { password: 'x' }))).toBe(4);
    const r = await cli(
      'mosquitto_pub',
      'xt-ghost',
      ['-t', topic('xt-ghost', 'heartbeat'), '-m', heartbeat],
      { password: 'x' },
    );
    expect(r.code).not.toBe(0);
    expect(refusedCount('unknown-client')).toBe(before + 2);
  });

  it('refuses a connect without credentials and counts missing-credentials', async () => {
    const before = refusedCount('missing-credentials');
    expect(await refusedCode(connect('xt-cam-01', { username: undefined, password: undefined }))).toBe(4);
    expect(refusedCount('missing-credentials')).toBe(before + 1);
  });

  it('refuses a client id other than the user name with CONNACK 2, without kicking off the real device', async () => {
    const victim = await connect('xt-cam-02');
    const before = refusedCount('client-id-mismatch');
    expect(await refusedCode(connect('xt-cam-01', { clientId: 'xt-cam-02' }))).toBe(2);
    const r = await cli(
      'mosquitto_pub',
      'xt-cam-02',
      ['-t', topic('xt-cam-01', 'heartbeat'), '-m', heartbeat],
      { user: 'xt-cam-01' },
    );
    expect(r.code).not.toBe(0);
    expect(refusedCount('client-id-mismatch')).toBe(before + 2);
    await victim.publishAsync(topic('xt-cam-02', 'heartbeat'), heartbeat, { qos: 1 });
    expect(victim.connected).toBe(true);
  });

  it('refuses MQTT 5 and MQTT 3.1 with CONNACK 1 and counts protocol-version', async () => {
    const before = refusedCount('protocol-version');
    expect(await refusedCode(connect('xt-cam-01', { protocolVersion: 5 }))).toBe(1);
    const v31 = await cli('mosquitto_pub', 'xt-cam-01', [
      '-V',
      'mqttv31',
      '-t',
      topic('xt-cam-01', 'heartbeat'),
      '-m',
      heartbeat,
    ]);
    expect(v31.stderr).toMatch(/unacceptable protocol version/);
    expect(refusedCount('protocol-version')).toBe(before + 2);
  });

  it('refuses a will on any topic but the device’s own status with CONNACK 5', async () => {
    const before = refusedCount('forbidden-will');
    const will = {
      topic: topic('xt-cam-02', 'status'),
      payload: Buffer.from('{"v":1,"state":"offline"}'),
      qos: 1 as const,
      retain: false,
    };
    expect(await refusedCode(connect('xt-cam-01', { will }))).toBe(5);
    expect(refusedCount('forbidden-will')).toBe(before + 1);
  });
});

describe('broker: publish ACL', () => {
  it('disconnects a device publishing on another device’s topic; nothing reaches onPublish', async () => {
    const c = await connect('xt-cam-01');
    const before = refusedCount('forbidden-topic');
    const gone = closed(c);
    c.publish(topic('xt-cam-02', 'heartbeat'), heartbeat, { qos: 1 });
    await gone;
    const r = await cli('mosquitto_pub', 'xt-cam-01', [
      '-q',
      '1',
      '-t',
      topic('xt-cam-02', 'telemetry'),
      '-m',
      '{"v":1}',
    ]);
    expect(r.code).not.toBe(0);
    expect(refusedCount('forbidden-topic')).toBe(before + 2);
    expect(received.filter((m) => m.deviceId === 'xt-cam-01' && m.topic.includes('xt-cam-02'))).toEqual([]);
  });

  it('lets a gateway publish for the soil sensor behind it but not for an unrelated camera', async () => {
    const gw = await connect('xt-gw-01');
    await gw.publishAsync(topic('xt-soil-01', 'telemetry'), '{"v":1,"metrics":{"soilMoisturePct":31}}', {
      qos: 1,
    });
    expect(receivedOn(topic('xt-soil-01', 'telemetry')).at(-1)).toMatchObject({ deviceId: 'xt-gw-01' });
    const before = refusedCount('forbidden-topic');
    const gone = closed(gw);
    gw.publish(topic('xt-cam-01', 'status'), '{"v":1,"state":"down"}', { qos: 1 });
    await gone;
    expect(refusedCount('forbidden-topic')).toBe(before + 1);
    expect(receivedOn(topic('xt-cam-01', 'status')).filter((m) => m.deviceId === 'xt-gw-01')).toEqual([]);
  });

  it('refuses topics outside the scheme, including the cmd tree', async () => {
    const before = refusedCount('forbidden-topic');
    for (const t of ['cx/v1/xa-thu/xt-cam-01/cmd/reboot', 'cx/v1/xa-thu/xt-cam-01/debug', '$SYS/fake']) {
      const c = await connect('xt-cam-01');
      const gone = closed(c);
      c.publish(t, 'x', { qos: 0 });
      await gone;
    }
    expect(refusedCount('forbidden-topic')).toBe(before + 3);
  });

  it('refuses a payload over maxPayloadBytes, in the hook and by the frame guard', async () => {
    const before = refusedCount('oversized');
    const c1 = await connect('xt-cam-01');
    const gone1 = closed(c1);
    c1.publish(topic('xt-cam-01', 'telemetry'), Buffer.alloc(MAX_PAYLOAD + 1, 0x61), { qos: 1 });
    await gone1;
    // 1 MB: cut off from the fixed header before aedes buffers it.
    const c2 = await connect('xt-cam-01');
    const gone2 = closed(c2);
    c2.publish(topic('xt-cam-01', 'telemetry'), Buffer.alloc(1_000_000, 0x61), { qos: 0 });
    await gone2;
    expect(refusedCount('oversized')).toBe(before + 2);
    expect(received.some((m) => m.payload.length > MAX_PAYLOAD)).toBe(false);
  });

  it('refuses retained publishes except on status', async () => {
    const before = refusedCount('retain-not-allowed');
    const c = await connect('xt-cam-01');
    await c.publishAsync(topic('xt-cam-01', 'status'), '{"v":1,"state":"online"}', { qos: 1, retain: true });
    expect(receivedOn(topic('xt-cam-01', 'status')).at(-1)).toMatchObject({ retain: true });
    const gone = closed(c);
    c.publish(topic('xt-cam-01', 'heartbeat'), heartbeat, { qos: 1, retain: true });
    await gone;
    expect(refusedCount('retain-not-allowed')).toBe(before + 1);
  });
});

describe('broker: subscribe ACL', () => {
  it('answers a wide subscription with SUBACK 0x80 and keeps the connection', async () => {
    const before = refusedCount('forbidden-subscribe');
    const c = await connect('xt-cam-01');
    expect(
      await granted(c, ['cx/#', 'cx/v1/xa-thu/xt-cam-01/cmd/#', 'cx/v1/xa-thu/xt-cam-01/cmd/+']),
    ).toEqual([128, 1, 1]);
    expect(c.connected).toBe(true);
    const r = await cli('mosquitto_sub', 'xt-cam-02', ['-q', '1', '-t', 'cx/#', '-W', '3']);
    expect(r.stderr).toMatch(/All subscription requests were denied/);
    expect(refusedCount('forbidden-subscribe')).toBe(before + 2);
  });

  it('refuses another device’s command tree', async () => {
    const c = await connect('xt-cam-01');
    expect(
      await granted(c, ['cx/v1/xa-thu/xt-cam-02/cmd/#', 'cx/v1/xa-thu/+/cmd/#', 'cx/v1/xa-thu/xt-cam-01/#']),
    ).toEqual([128, 128, 128]);
  });
});

describe('broker: last will', () => {
  const offline = JSON.stringify({ v: 1, state: 'offline', reason: 'last-will' });
  const will = {
    topic: topic('xt-cam-02', 'status'),
    payload: Buffer.from(offline),
    qos: 1 as const,
    retain: false,
  };

  it('delivers the will to onPublish when the device’s socket dies', async () => {
    const c = await connect('xt-cam-02', { will });
    const before = receivedOn(will.topic).length;
    c.stream.destroy();
    const got = await waitFor(() => receivedOn(will.topic)[before], 'the will');
    expect(got).toMatchObject({ deviceId: 'xt-cam-02', qos: 1, retain: false });
    expect(got.payload.toString()).toBe(offline);
  });

  it('sends no will on a clean DISCONNECT', async () => {
    const c = await connect('xt-cam-02', { will });
    const before = receivedOn(will.topic).length;
    await c.endAsync();
    await new Promise((r) => setTimeout(r, 300));
    expect(receivedOn(will.topic).length).toBe(before);
  });

  it('holds the wills back when the broker itself stops', async () => {
    const mine: BrokerMessage[] = [];
    const other = newBroker((m) => mine.push(m));
    const { port: otherPort } = await other.start();
    await connect('xt-cam-02', { will }, otherPort);
    await waitFor(() => other.stats().connectsAccepted === 1, 'clientReady');
    expect(other.stats().clientsConnected).toBe(1);
    await other.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(mine).toEqual([]);
  });
});

describe('broker: ingest failure', () => {
  it('does not acknowledge a publish that onPublish could not take, and counts ingest-failed', async () => {
    const failing = newBroker(() => {
      throw new Error('spool full');
    });
    const { port: failingPort } = await failing.start();
    try {
      const c = await connect('xt-cam-01', {}, failingPort);
      let acked = false;
      const gone = closed(c);
      c.publish(topic('xt-cam-01', 'heartbeat'), heartbeat, { qos: 1 }, (err) => {
        acked = !err;
      });
      await gone;
      expect(acked).toBe(false);
      expect(failing.stats()).toMatchObject({ refused: { 'ingest-failed': 1 }, publishesAccepted: 0 });
    } finally {
      await failing.stop();
    }
  });
});

describe('broker: reject log', () => {
  it('records every refusal with source broker, and never a password', () => {
    const rows = rejects.latest(1000);
    const reasons = new Set(rows.map((r) => r.reason));
    for (const reason of [
      'bad-password',
      'unknown-client',
      'missing-credentials',
      'client-id-mismatch',
      'protocol-version',
      'forbidden-will',
      'forbidden-topic',
      'oversized',
      'retain-not-allowed',
      'forbidden-subscribe',
    ])
      expect(reasons, reason).toContain(reason);
    expect(rows.every((r) => r.source === 'broker')).toBe(true);
    expect(rows.some((r) => r.reason === 'oversized' && /packet announces/.test(r.detail ?? ''))).toBe(true);
    const forbidden = rows.find((r) => r.reason === 'forbidden-topic' && r.deviceId === 'xt-gw-01');
    expect(forbidden).toMatchObject({
      communeId: 'xa-thu',
      clientId: 'xt-gw-01',
      topic: topic('xt-cam-01', 'status'),
    });
    const text = JSON.stringify(rows);
    for (const pw of [...Object.values(PASSWORDS), 'guess']) expect(text).not.toContain(pw);
  });
});
