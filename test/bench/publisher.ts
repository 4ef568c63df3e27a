/**
 * Load-generator process for the benches (forked by harness.ts, driven over IPC). Every device is
 * its own mqtt.js connection with its own credentials, as in the field. Commands:
 *
 *   connect         open one connection per device (bounded concurrency)
 *   load            heartbeats and telemetry, alternating per device, QoS 0 or 1; closed loop with
 *                   `window` publishes in flight per connection, or open loop at `ratePerSec`
 *   flood-malformed one connected device publishes broken documents as fast as the socket takes them,
 *                   reconnecting whenever the broker cuts it off
 *   flood-badauth   connection attempts with a wrong password, `concurrency` at a time
 *   close           end every connection
 *
 * Each message's `ts` is its publish time (epoch ms), so the service side can measure publish →
 * stored; per device and channel it is kept strictly increasing so no two readings share a key.
 */
import mqtt, { type MqttClient } from 'mqtt';

interface GenDevice {
  readonly id: string;
  readonly password: string;
  readonly topicBase: string;
  readonly metrics: readonly string[];
}

interface Conn {
  readonly dev: GenDevice;
  readonly client: MqttClient;
  inflight: number;
  seq: number;
  lastHeartbeatTs: number;
  lastTelemetryTs: number;
}

const conns: Conn[] = [];
let closes = 0;
const errors: string[] = [];

function note(err: unknown): void {
  if (errors.length < 20) errors.push(err instanceof Error ? err.message : String(err));
}

function open(
  url: string,
  dev: GenDevice,
  opts: { password?: string; keepaliveSec?: number } = {},
): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: dev.id,
      username: dev.id,
      password: opts.password ?? dev.password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      keepalive: opts.keepaliveSec ?? 60,
      connectTimeout: 120_000,
    });
    const onClose = () => fail(new Error('closed before CONNACK'));
    const fail = (err: Error) => {
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      client.on('error', () => {});
      client.end(true);
      reject(err);
    };
    client.once('connect', () => {
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
      (client.stream as unknown as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      client.on('error', note);
      resolve(client);
    });
    client.once('error', fail);
    client.once('close', onClose);
  });
}

async function connectAll(url: string, devices: GenDevice[], concurrency: number) {
  let next = 0;
  let failed = 0;
  const errs: string[] = [];
  const worker = async () => {
    while (next < devices.length) {
      const dev = devices[next++]!;
      try {
        const client = await open(url, dev);
        client.on('close', () => closes++);
        conns.push({ dev, client, inflight: 0, seq: 0, lastHeartbeatTs: 0, lastTelemetryTs: 0 });
      } catch (err) {
        failed++;
        if (errs.length < 5) errs.push(`${dev.id}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices.length) }, worker));
  return { connected: conns.length, failed, errors: errs };
}

/** Alternates heartbeat and telemetry per device; returns the topic, payload and publish ts. */
function nextMessage(c: Conn): { topic: string; payload: string; ts: number } {
  const now = Date.now();
  const seq = c.seq++;
  if (seq % 2 === 0 || c.dev.metrics.length === 0) {
    const ts = Math.max(now, c.lastHeartbeatTs + 1);
    c.lastHeartbeatTs = ts;
    const payload = `{"v":1,"ts":${ts},"seq":${seq},"uptimeSec":${86_400 + seq},"rssiDbm":${-60 - (seq % 30)},"fw":"2.4.1"}`;
    return { topic: `${c.dev.topicBase}/heartbeat`, payload, ts };
  }
  const ts = Math.max(now, c.lastTelemetryTs + 1);
  c.lastTelemetryTs = ts;
  const metrics = c.dev.metrics.map((m, i) => `"${m}":${((seq * 7 + i * 13) % 1000) / 10}`).join(',');
  return { topic: `${c.dev.topicBase}/telemetry`, payload: `{"v":1,"ts":${ts},"metrics":{${metrics}}}`, ts };
}

interface LoadCmd {
  qos: 0 | 1;
  window: number;
  ratePerSec: number;
  startAt: number;
  measureFrom: number;
  measureTo: number;
  stopAt: number;
}

async function load(cmd: LoadCmd) {
  let sent = 0;
  let acked = 0;
  let sentInWindow = 0;
  let pending = 0;
  const ackLatencyMs: number[] = [];
  const closesBefore = closes;
  const live = conns.filter((c) => c.client.connected);
  let cpuAtFrom: NodeJS.CpuUsage | null = null;
  let cpuInWindowMs = 0;
  const cpuFrom = setTimeout(
    () => (cpuAtFrom = process.cpuUsage()),
    Math.max(0, cmd.measureFrom - Date.now()),
  );
  const cpuTo = setTimeout(
    () => {
      const d = process.cpuUsage(cpuAtFrom ?? undefined);
      cpuInWindowMs = (d.user + d.system) / 1000;
    },
    Math.max(0, cmd.measureTo - Date.now()),
  );
  let finish: () => void = () => {};
  const finished = new Promise<void>((r) => (finish = r));
  const maybeDone = () => {
    if (pending === 0 && Date.now() >= cmd.stopAt) finish();
  };

  const publishOne = (c: Conn, qos: 0 | 1, onAck?: () => void) => {
    const m = nextMessage(c);
    const sentAt = performance.now();
    const inWindow = m.ts >= cmd.measureFrom && m.ts < cmd.measureTo;
    sent++;
    if (inWindow) sentInWindow++;
    if (qos === 0) {
      c.client.publish(m.topic, m.payload, { qos: 0 });
      return;
    }
    c.inflight++;
    pending++;
    c.client.publish(m.topic, m.payload, { qos: 1 }, (err) => {
      c.inflight--;
      pending--;
      if (err) note(err);
      else {
        acked++;
        if (inWindow) ackLatencyMs.push(performance.now() - sentAt);
      }
      onAck?.();
      maybeDone();
    });
  };

  // Closed loop, QoS 1: keep `window` unacknowledged publishes per connection.
  const pumpQos1 = (c: Conn) => {
    while (c.inflight < cmd.window && Date.now() < cmd.stopAt && c.client.connected)
      publishOne(c, 1, () => pumpQos1(c));
  };
  // Closed loop, QoS 0: QoS 0 has no acknowledgement to pace on, and loopback TCP buffers take
  // megabytes per socket, so a bare flood measures the kernel, not the broker. Each run of `window`
  // QoS 0 publishes is followed by one QoS 1 fence; the next run waits for the fence's PUBACK,
  // which a broker sends only after reading everything before it on that connection.
  const pumpQos0 = (c: Conn) => {
    if (Date.now() >= cmd.stopAt || !c.client.connected) return maybeDone();
    for (let n = 0; n < cmd.window; n++) publishOne(c, 0);
    publishOne(c, 1, () => pumpQos0(c));
  };

  await new Promise((r) => setTimeout(r, Math.max(0, cmd.startAt - Date.now())));
  let ticker: NodeJS.Timeout | null = null;
  if (cmd.ratePerSec > 0) {
    // Open loop: every 5 ms, send what the rate owes, round-robin over the connections.
    let rr = 0;
    ticker = setInterval(() => {
      const now = Date.now();
      if (now >= cmd.stopAt) {
        clearInterval(ticker!);
        maybeDone();
        return;
      }
      const due = Math.floor((cmd.ratePerSec * (now - cmd.startAt)) / 1000) - sent;
      for (let i = 0; i < due && live.length > 0; i++) publishOne(live[rr++ % live.length]!, cmd.qos);
    }, 5);
  } else {
    for (const c of live) (cmd.qos === 1 ? pumpQos1 : pumpQos0)(c);
  }
  const stopTimer = setTimeout(maybeDone, Math.max(0, cmd.stopAt - Date.now()) + 5);
  // QoS 1 acknowledgements still owed at stopAt are waited for at most 30 s.
  await Promise.race([finished, new Promise((r) => setTimeout(r, cmd.stopAt - Date.now() + 30_000))]);
  if (ticker) clearInterval(ticker);
  clearTimeout(stopTimer);
  clearTimeout(cpuFrom);
  clearTimeout(cpuTo);
  return {
    sent,
    acked,
    sentInWindow,
    ackLatencyMs,
    closes: closes - closesBefore,
    errors: errors.splice(0),
    cpuInWindowMs,
  };
}

/** Broken documents from one connected device: not JSON, wrong version, schema violations. */
/**
 * One device publishing broken documents as fast as its socket takes them. Cut off by the broker,
 * it does what buggy firmware does: reconnects at once, and every 50 ms while refused, then floods
 * again.
 */
async function floodMalformed(cmd: { stopAt: number; url: string }) {
  let c = conns[0];
  if (!c) throw new Error('flood-malformed: no connection');
  const bad = [
    '{"v":1,"ts":',
    'not json at all',
    '{"v":2,"ts":1760000000000,"metrics":{"x":1}}',
    '{"v":1,"metrics":{"Bad Name":1}}',
    '{"v":1,"metrics":{}}',
  ];
  let sent = 0;
  let cutOffs = 0;
  let reconnects = 0;
  let refusedConnects = 0;
  const flood = (conn: Conn) =>
    new Promise<void>((resolve) => {
      const stream = conn.client.stream as unknown as NodeJS.WritableStream & { writableNeedDrain: boolean };
      const pump = () => {
        for (let n = 0; n < 64; n++) {
          if (Date.now() >= cmd.stopAt || !conn.client.connected) return resolve();
          if (stream.writableNeedDrain) {
            // The broker may close the socket instead of reading it: stop waiting for a drain then.
            const go = () => {
              stream.off('drain', go);
              conn.client.off('close', go);
              pump();
            };
            stream.once('drain', go);
            conn.client.once('close', go);
            return;
          }
          conn.client.publish(`${conn.dev.topicBase}/telemetry`, bad[sent++ % bad.length]!, { qos: 0 });
        }
        setImmediate(pump);
      };
      pump();
    });
  while (Date.now() < cmd.stopAt) {
    if (c.client.connected) {
      await flood(c);
      if (!c.client.connected) cutOffs++;
      continue;
    }
    try {
      const client = await open(cmd.url, c.dev);
      c = { dev: c.dev, client, inflight: 0, seq: 0, lastHeartbeatTs: 0, lastTelemetryTs: 0 };
      conns[0] = c;
      reconnects++;
    } catch {
      refusedConnects++;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { sent, cutOffs, reconnects, refusedConnects, connected: c.client.connected };
}

/** Connection attempts for a real device with a wrong password, `concurrency` at a time. */
async function floodBadAuth(cmd: { url: string; deviceId: string; concurrency: number; stopAt: number }) {
  let attempts = 0;
  let refused = 0;
  let accepted = 0;
  const dev: GenDevice = { id: cmd.deviceId, password: 'wrong-password', topicBase: '', metrics: [] };
  const worker = async () => {
    while (Date.now() < cmd.stopAt) {
      attempts++;
      try {
        const client = await open(cmd.url, dev);
        accepted++;
        client.end(true);
      } catch {
        refused++;
      }
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, worker));
  return { attempts, refused, accepted };
}

async function closeAll() {
  await Promise.all(conns.map((c) => new Promise<void>((r) => c.client.end(false, {}, () => r()))));
  conns.length = 0;
  return {};
}

const handlers: Record<string, (m: never) => Promise<object>> = {
  connect: (m: { url: string; devices: GenDevice[]; concurrency: number }) =>
    connectAll(m.url, m.devices, m.concurrency),
  load,
  'flood-malformed': floodMalformed,
  'flood-badauth': floodBadAuth,
  close: closeAll,
};

process.on('message', (m: { cmd: string }) => {
  const h = handlers[m.cmd];
  if (!h) return process.send!({ re: m.cmd, error: `unknown command ${m.cmd}` });
  h(m as never).then(
    (r) => process.send!({ re: m.cmd, ...r }),
    (err: unknown) =>
      process.send!({ re: m.cmd, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
