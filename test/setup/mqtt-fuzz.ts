import { connect as tcpConnect } from 'node:net';
// mqtt-packet is aedes's own parser and generator (installed with it): valid packets to mutate.
import { generate, type Packet } from 'mqtt-packet';
import { prng } from './helpers.ts';

/**
 * Seeded malformed-packet fuzzing of an MQTT broker on a raw TCP socket, one connection per case:
 * mutations of valid CONNECT, PUBLISH, SUBSCRIBE and PINGREQ packets (bit flips, bytes overwritten,
 * truncated, extended), random bytes, bad remaining-length varints, lengths announcing far more
 * than is sent. Half the cases first send a valid CONNECT with a real device's credentials, so the
 * packets after it reach the parser of a connected client. The same seed gives the same cases.
 */

export interface FuzzTarget {
  readonly host: string;
  readonly port: number;
  /** Devices whose valid CONNECT opens some cases (id → password). Not the liveness device. */
  readonly devices: ReadonlyArray<readonly [string, string]>;
  readonly topicOf: (deviceId: string) => string;
}

export interface FuzzCase {
  readonly n: number;
  readonly kind: string;
  readonly bytes: Buffer;
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const randomBytes = (r: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

function connectPacket(r: Rand, device?: readonly [string, string]): Packet {
  const id = device?.[0] ?? `fuzz-${int(r, 1000)}`;
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    clientId: id,
    username: id,
    password: Buffer.from(device?.[1] ?? `guess-${int(r, 1e6)}`),
    ...(r() < 0.3
      ? {
          will: {
            topic: `cx/v1/ta-lai/${id}/status`,
            payload: Buffer.from('{"v":1}'),
            qos: 1,
            retain: false,
          },
        }
      : {}),
  } as Packet;
}

function validPacket(r: Rand, topic: string): Buffer {
  const choice = int(r, 4);
  if (choice === 0) return generate(connectPacket(r));
  if (choice === 1)
    return generate({
      cmd: 'publish',
      topic,
      payload: Buffer.from(JSON.stringify({ v: 1, metrics: { fuzz: int(r, 100) } })),
      qos: int(r, 3) as 0 | 1 | 2,
      messageId: 1 + int(r, 65535),
      retain: r() < 0.2,
      dup: r() < 0.2,
    } as Packet);
  if (choice === 2)
    return generate({
      cmd: 'subscribe',
      messageId: 1 + int(r, 65535),
      subscriptions: [
        { topic: pick(r, ['#', 'cx/v1/#', topic, '$SYS/#', '+/+']), qos: int(r, 3) as 0 | 1 | 2 },
      ],
    } as Packet);
  return generate({ cmd: 'pingreq' } as Packet);
}

/** A remaining-length field that no parser may accept, or one announcing far more than follows. */
function badLength(r: Rand): Buffer {
  return pick(r, [
    Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]), // five bytes: [MQTT-2.2.3] allows four
    Buffer.from([0xff, 0xff, 0xff, 0x7f]), // 256 MiB announced
    Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]),
    Buffer.from([0xff, 0xff, 0x7f]), // 2 MiB announced, beyond the payload limit
    Buffer.from([0x80]), // unfinished
  ]);
}

function mutate(r: Rand, p: Buffer): { kind: string; bytes: Buffer } {
  const b = Buffer.from(p);
  switch (int(r, 7)) {
    case 0: {
      for (let i = 0, n = 1 + int(r, 4); i < n; i++) b[int(r, b.length)]! ^= 1 << int(r, 8);
      return { kind: 'bit-flip', bytes: b };
    }
    case 1: {
      for (let i = 0, n = 1 + int(r, 4); i < n; i++) b[int(r, b.length)] = int(r, 256);
      return { kind: 'byte-overwrite', bytes: b };
    }
    case 2:
      return { kind: 'truncated', bytes: b.subarray(0, int(r, b.length)) };
    case 3:
      return { kind: 'extended', bytes: Buffer.concat([b, randomBytes(r, 1 + int(r, 64))]) };
    case 4:
      return { kind: 'bad-length', bytes: Buffer.concat([b.subarray(0, 1), badLength(r), b.subarray(2)]) };
    case 5:
      return { kind: 'random-bytes', bytes: randomBytes(r, 1 + int(r, 256)) };
    default:
      return { kind: 'repeated', bytes: Buffer.concat([b, b, b]) };
  }
}

/** Case n of a seed: the same bytes whenever it is made again. */
export function makeCase(seed: number, n: number, target: FuzzTarget): FuzzCase {
  // A PRNG per case (seed and n mixed) so a case can be replayed alone.
  const r = prng((seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0);
  const device = r() < 0.5 ? pick(r, target.devices) : undefined;
  const topic = target.topicOf(device?.[0] ?? pick(r, target.devices)[0]);
  const m = mutate(r, validPacket(r, topic));
  if (!device) return { n, kind: m.kind, bytes: m.bytes };
  return {
    n,
    kind: `connected+${m.kind}`,
    bytes: Buffer.concat([generate(connectPacket(r, device)), m.bytes]),
  };
}

export type Outcome = 'closed' | 'reset' | 'still-open';

/**
 * Sends one case, then our FIN: TCP delivers every byte before it, so the broker has parsed the
 * whole case when it sees the end (a socket destroyed early could drop unread bytes with the RST).
 * Waits at most waitMs for the broker to close its side.
 */
export function runCase(target: FuzzTarget, c: FuzzCase, waitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: target.host, port: target.port });
    let settled = false;
    const done = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => done('still-open'), waitMs);
    socket.on('error', () => done('reset'));
    socket.on('close', () => done('closed'));
    // Whatever the broker answers (CONNACK, SUBACK, PINGRESP) is read and dropped.
    socket.on('data', () => {});
    socket.on('connect', () => socket.end(c.bytes));
  });
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly ms: number;
  readonly outcomes: Record<string, number>;
  readonly kinds: Record<string, number>;
}

/**
 * Runs cases 0, 1, 2… of a seed, `parallel` at a time, until `maxCases` or `maxMs`, whichever
 * comes first (a loaded machine runs fewer in the same time; the seed and count replay them).
 */
export async function fuzz(
  target: FuzzTarget,
  opts: { seed: number; maxCases: number; maxMs: number; parallel: number; waitMs: number },
): Promise<FuzzReport> {
  const start = Date.now();
  const outcomes: Record<string, number> = {};
  const kinds: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.parallel }, async () => {
      while (next < opts.maxCases && Date.now() - start < opts.maxMs) {
        const c = makeCase(opts.seed, next++, target);
        const o = await runCase(target, c, opts.waitMs);
        outcomes[o] = (outcomes[o] ?? 0) + 1;
        const kind = c.kind.replace(/^connected\+/, '');
        kinds[kind] = (kinds[kind] ?? 0) + 1;
      }
    }),
  );
  return { seed: opts.seed, cases: next, ms: Date.now() - start, outcomes, kinds };
}

/**
 * The liveness check that ends a fuzz run: a real device connects, publishes a reading at QoS 1
 * (PUBACK = spooled) and the reading reaches the store within 20 s. True when it did.
 */
export async function deviceStillStored(
  app: {
    readonly store: {
      query(q: {
        deviceId: string;
        metric: string;
        fromTs: number;
        toTs: number;
      }): Promise<Array<{ value: number }>>;
    };
  },
  connect: () => Promise<{
    publishAsync(topic: string, payload: string, opts: { qos: 1 }): Promise<unknown>;
    endAsync(): Promise<unknown>;
  }>,
  topic: string,
): Promise<boolean> {
  const ts = Date.now();
  const device = await connect();
  await device.publishAsync(topic, JSON.stringify({ v: 1, ts, metrics: { clientCount: 7 } }), { qos: 1 });
  await device.endAsync();
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    const rows = await app.store.query({
      deviceId: topic.split('/')[3]!,
      metric: 'clientCount',
      fromTs: ts,
      toTs: ts + 1,
    });
    if (rows.some((r) => r.value === 7)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
