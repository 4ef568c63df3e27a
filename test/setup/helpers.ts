/**
 * The helpers tests share to connect MQTT clients and to wait for an outcome. Tests wait for a
 * state, never for a fixed time: the CI machine is a busy 2-core box, so a sleep long enough there
 * is wasted everywhere else and still flaky on a bad day.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/**
 * Polls `probe` every `intervalMs` until it returns something truthy, and resolves with it. Throws
 * `timed out waiting for <what>` (with the last value seen) after `timeoutMs`.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as Exclude<T, undefined | null | false | 0 | ''>;
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(v)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** What connecting a device needs from a running service (RunningApp has both). */
export interface MqttTarget {
  readonly mqttUrl: string;
  readonly devicePasswords: ReadonlyMap<string, string>;
}

/** A device connected over MQTT 3.1.1 with its own credentials (client id = user name); no reconnects. */
export function connectDevice(app: MqttTarget, id: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(app.mqttUrl, deviceOptions(app, id, opts));
}

export function deviceOptions(app: MqttTarget, id: string, opts: IClientOptions = {}): IClientOptions {
  return {
    clientId: id,
    username: id,
    password: app.devicePasswords.get(id)!,
    protocolVersion: 4,
    reconnectPeriod: 0,
    ...opts,
  };
}

/**
 * A connection attempt that may be refused: resolves with the connected client, or with the
 * refusal (the CONNACK error, or the close before any CONNACK) once the client has been ended.
 */
export function tryConnect(url: string, opts: IClientOptions): Promise<MqttClient | Error> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  return new Promise((resolve) => {
    const refused = (err: Error) => {
      client.removeAllListeners('connect');
      void client.endAsync(true).then(() => resolve(err));
    };
    client.once('connect', () => resolve(client));
    client.once('error', refused);
    client.once('close', () => refused(new Error('closed before CONNACK')));
  });
}

/** mulberry32: a seeded random sequence, small, fast and the same for a seed on every machine (seeded tests). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
