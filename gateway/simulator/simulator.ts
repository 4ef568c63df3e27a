import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { type Channel, topicFor } from '../../services/protocol/topics.ts';
import { FlakySchedule } from './flaky.ts';
import { chirpStackUplink, type LoraFault, type LoraSimState } from './lorawan.ts';
import { TELEMETRY, type TelemetryState } from './telemetry.ts';

/**
 * What the simulator needs to know of a device. Gateway code speaks only the wire protocol
 * (services/protocol), so this is its own shape; the service's DeviceInfo fits it.
 */
export interface SimDevice {
  readonly id: string;
  readonly communeId: string;
  readonly type: { readonly kind: string; readonly sleepy: boolean };
  readonly heartbeatIntervalSec: number;
  /** Adapters or gateways that may publish for it: a sleepy one reports through such a gateway. */
  readonly reportedBy: readonly string[];
  /**
   * A LoRaWAN sensor (devEui, sensorModel) reports as ChirpStack `up` events through the reporter
   * that has applicationIds (a network server account), in its first application.
   */
  readonly config?: {
    readonly devEui?: string | undefined;
    readonly sensorModel?: string | undefined;
    readonly applicationIds?: readonly string[] | undefined;
  };
}

export interface SimulatorOptions {
  readonly mqttUrl: string;
  readonly devices: readonly SimDevice[];
  /** Plain MQTT password per device id (from DeviceCredentials.ensure). */
  readonly passwords: ReadonlyMap<string, string>;
  /** 1 is real time; 50 makes every interval fifty times shorter. */
  readonly speed: number;
  /** Share (0–1) of always-on devices that drop off abruptly now and then and come back later. */
  readonly flakyShare: number;
  readonly log: Logger;
  /** Epoch ms for payload timestamps and time-of-day; defaults to Date.now. */
  readonly clock?: () => number;
  readonly random?: () => number;
  /**
   * LoRaWAN sensors to misbehave, by device id. By default the demo has one of each: of the
   * LoRaWAN sensors sorted by id, the second has a frozen probe and the last a dying battery.
   */
  readonly loraFaults?: Readonly<Record<string, LoraFault>>;
}

interface Sim {
  readonly device: SimDevice;
  client: MqttClient | null;
  /** False between goOffline and comeBack. */
  wanted: boolean;
  seq: number;
  bootTs: number;
  readonly telemetry: TelemetryState;
  readonly lora: LoraSimState;
  /** Report timers; cleared whenever the device goes quiet. */
  readonly timers: Set<NodeJS.Timeout>;
}

function newSim(device: SimDevice, bootTs: number): Sim {
  return {
    device,
    client: null,
    wanted: true,
    seq: 0,
    bootTs,
    telemetry: {},
    lora: { fCnt: 0 },
    timers: new Set(),
  };
}

/**
 * Every device of a commune as a real MQTT 3.1.1 client of the broker, for the demo and tests.
 * Always-on devices hold a connection with a last will (offline on their own status topic), say
 * `online` when connected, then send heartbeats every heartbeatIntervalSec / speed (±10 %) and
 * telemetry every second heartbeat.
 *
 * Sleepy devices (soil sensors) hold no connection, as on LoRaWAN. One `reportedBy` a
 * simulated gateway is reported by that gateway's client (the ChirpStack bridge does the same),
 * so it goes silent with its gateway; any other connects, reports and disconnects cleanly
 * (DISCONNECT, so no will: a sleepy device's absence is judged by missed reports alone).
 */
export class Simulator {
  private readonly opts: SimulatorOptions;
  private readonly log: Logger;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly sims = new Map<string, Sim>();
  private readonly flaky: FlakySchedule;
  private readonly loraFaults: Readonly<Record<string, LoraFault>>;
  private stopped = false;

  constructor(opts: SimulatorOptions) {
    this.opts = opts;
    this.log = opts.log.child({ mod: 'gateway.simulator' });
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.flaky = new FlakySchedule(this, { speed: opts.speed, random: this.random, log: this.log });
    this.loraFaults = opts.loraFaults ?? demoFaults(opts.devices);
  }

  /** Connects every always-on device (resolves when each has connected or failed once). */
  async start(): Promise<void> {
    if (this.sims.size > 0) throw new Error('simulator: already started');
    const { devices, passwords } = this.opts;
    const noPassword = devices.filter((d) => !passwords.has(d.id)).map((d) => d.id);
    if (noPassword.length > 0)
      throw new Error(
        `simulator: no MQTT password for ${noPassword}. Fix: pass DeviceCredentials.ensure()'s map.`,
      );
    const noGenerator = devices.filter((d) => !TELEMETRY[d.type.kind]).map((d) => d.type.kind);
    if (noGenerator.length > 0)
      throw new Error(
        `simulator: no telemetry for ${noGenerator}. Fix: add it to gateway/simulator/telemetry.ts.`,
      );
    this.stopped = false;
    const bootTs = this.clock();
    for (const device of devices) this.sims.set(device.id, newSim(device, bootTs));
    const sims = [...this.sims.values()];
    const results = await Promise.allSettled(
      sims.filter((s) => !s.device.type.sleepy).map((s) => this.connect(s)),
    );
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed > 0) this.log.warn({ failed }, 'some simulated devices could not connect; retrying');
    // After the gateways are up, so a sensor's first report is not lost; random phase, as in a field.
    for (const s of sims.filter((s) => s.device.type.sleepy))
      this.later(s.timers, this.intervalMs(s) * 0.1 * this.random(), () => this.wake(s));
    const alwaysOn = sims.filter((s) => !s.device.type.sleepy).map((s) => s.device.id);
    this.flaky.start(alwaysOn, this.opts.flakyShare);
    this.log.info({ devices: sims.length, speed: this.opts.speed }, 'simulator started');
  }

  /** Disconnects every device cleanly, so no will fires: the demo is stopping, not the devices. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.flaky.stop();
    const clients: MqttClient[] = [];
    for (const s of this.sims.values()) {
      this.quiet(s);
      if (s.client) clients.push(s.client);
      s.client = null;
    }
    await Promise.all(clients.map((c) => c.endAsync()));
    this.sims.clear();
  }

  /** Drops the device abruptly (socket destroyed, no DISCONNECT), so the broker fires its will. */
  async goOffline(deviceId: string): Promise<void> {
    const s = this.sim(deviceId);
    s.wanted = false;
    this.quiet(s);
    const client = s.client;
    s.client = null;
    if (client) await new Promise<void>((resolve) => client.end(true, () => resolve()));
    this.log.debug({ deviceId }, 'device went offline');
  }

  /** Reconnects a device taken offline (resolves once connected); a sleepy one reports at once. */
  async comeBack(deviceId: string): Promise<void> {
    const s = this.sim(deviceId);
    if (s.wanted && (s.client || s.device.type.sleepy)) return;
    s.wanted = true;
    s.bootTs = this.clock();
    if (s.device.type.sleepy) return this.wake(s);
    await this.connect(s);
  }

  /** Sends one heartbeat now (resolves on PUBACK); for a sleepy device, one whole report. */
  async sendHeartbeat(deviceId: string): Promise<void> {
    const s = this.sim(deviceId);
    if (s.device.type.sleepy) return this.report(s);
    if (!s.client?.connected) throw new Error(`simulator: ${deviceId} is offline`);
    await this.publish(s.client, s, 'heartbeat', this.heartbeat(s));
  }

  private sim(deviceId: string): Sim {
    const s = this.sims.get(deviceId);
    if (!s)
      throw new Error(`simulator: "${deviceId}" is not a simulated device (or the simulator is stopped)`);
    return s;
  }

  private connect(s: Sim): Promise<void> {
    const { device } = s;
    const client = mqtt.connect(this.opts.mqttUrl, {
      ...this.identity(device),
      reconnectPeriod: 2000,
      will: {
        topic: topicFor(device.communeId, device.id, 'status'),
        payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', reason: 'last-will' })),
        qos: 1,
        retain: false,
      },
    });
    s.client = client;
    client.on('connect', () => {
      this.publish(client, s, 'status', { v: 1, ts: this.clock(), state: 'online' }).catch((err) =>
        this.lost(s, err),
      );
      this.quiet(s);
      this.beat(s, 0);
    });
    // While disconnected nothing is sent; mqtt.js reconnects and 'connect' starts the beat again.
    // A client already replaced (goOffline, then comeBack) must not stop its successor's beat.
    client.on('close', () => s.client === client && this.quiet(s));
    client.on('error', (err) =>
      this.log.warn({ err, deviceId: device.id }, 'simulated device connection error'),
    );
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  /** Client id = user name = device id, as the broker demands; MQTT 3.1.1, clean session. */
  private identity(device: SimDevice): IClientOptions {
    const password = this.opts.passwords.get(device.id);
    return { clientId: device.id, username: device.id, password, protocolVersion: 4, clean: true };
  }

  /** One heartbeat now, then the next after the device's interval; telemetry every second beat. */
  private beat(s: Sim, n: number): void {
    const client = s.client;
    if (!client?.connected || this.stopped) return;
    this.publish(client, s, 'heartbeat', this.heartbeat(s)).catch((err) => this.lost(s, err));
    if (n % 2 === 1)
      this.publish(client, s, 'telemetry', this.telemetry(s)).catch((err) => this.lost(s, err));
    this.later(s.timers, this.jittered(this.intervalMs(s)), () => this.beat(s, n + 1));
  }

  /** A sleepy device's wake-up: report, then sleep for an interval. */
  private async wake(s: Sim): Promise<void> {
    if (!s.wanted || this.stopped) return;
    this.later(s.timers, this.jittered(this.intervalMs(s)), () => void this.wake(s));
    await this.report(s).catch((err) =>
      this.log.warn({ err, deviceId: s.device.id }, 'sleepy device report failed'),
    );
  }

  private async report(s: Sim): Promise<void> {
    if (s.device.config?.devEui) return this.reportLora(s);
    const gateway = s.device.reportedBy
      .map((id) => this.sims.get(id))
      .find((g) => g?.device.type.kind === 'gateway');
    if (gateway) {
      // Lost on air while the gateway is down, as with a real LoRa sensor.
      if (!gateway.client?.connected)
        return this.log.debug({ deviceId: s.device.id }, 'report lost: gateway offline');
      await this.publish(gateway.client, s, 'heartbeat', this.heartbeat(s));
      await this.publish(gateway.client, s, 'telemetry', this.telemetry(s));
      return;
    }
    const client = await mqtt.connectAsync(this.opts.mqttUrl, {
      ...this.identity(s.device),
      reconnectPeriod: 0,
    });
    try {
      await this.publish(client, s, 'heartbeat', this.heartbeat(s));
      await this.publish(client, s, 'telemetry', this.telemetry(s));
    } finally {
      await client.endAsync();
    }
  }

  /** A LoRaWAN sensor's uplink, as its network server account publishes it into the broker. */
  private async reportLora(s: Sim): Promise<void> {
    const { devEui, sensorModel } = s.device.config ?? {};
    const server = s.device.reportedBy
      .map((id) => this.sims.get(id))
      .find((g) => g?.device.config?.applicationIds);
    const applicationId = server?.device.config?.applicationIds?.[0];
    if (!server || !applicationId || !devEui || !sensorModel) return;
    if (!server.client?.connected)
      return this.log.debug({ deviceId: s.device.id }, 'uplink lost: network server offline');
    const nowTs = this.clock();
    const generate = TELEMETRY[s.device.type.kind]!;
    const metrics = generate({ nowTs, state: s.telemetry, random: this.random });
    const up = chirpStackUplink({ id: s.device.id, devEui, sensorModel }, s.lora, metrics, {
      applicationId,
      accountId: server.device.id,
      nowTs,
      fault: this.loraFaults[s.device.id],
    });
    if (!up) return this.log.debug({ deviceId: s.device.id }, 'sensor silent: battery dead');
    await server.client.publishAsync(up.topic, up.payload, { qos: 1 });
  }

  /** Publishes at QoS 1 on `s`'s topic (through `client`, which may be its gateway's). */
  private async publish(client: MqttClient, s: Sim, channel: Channel, body: object): Promise<void> {
    const topic = topicFor(s.device.communeId, s.device.id, channel);
    await client.publishAsync(topic, JSON.stringify(body), { qos: 1 });
  }

  private heartbeat(s: Sim): object {
    const now = this.clock();
    return { v: 1, ts: now, seq: ++s.seq, uptimeSec: Math.round((now - s.bootTs) / 1000), fw: 'sim-1.0' };
  }

  private telemetry(s: Sim): object {
    const nowTs = this.clock();
    const generate = TELEMETRY[s.device.type.kind]!;
    return { v: 1, ts: nowTs, metrics: generate({ nowTs, state: s.telemetry, random: this.random }) };
  }

  private quiet(s: Sim): void {
    for (const t of s.timers) clearTimeout(t);
    s.timers.clear();
  }

  private later(set: Set<NodeJS.Timeout>, ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      set.delete(t);
      fn();
    }, ms);
    set.add(t);
  }

  private intervalMs(s: Sim): number {
    return (s.device.heartbeatIntervalSec * 1000) / this.opts.speed;
  }

  private jittered(ms: number): number {
    return ms * (0.9 + 0.2 * this.random());
  }

  /** A publish that failed because the link dropped: the next beat after reconnecting carries on. */
  private lost(s: Sim, err: unknown): void {
    if (!this.stopped) this.log.debug({ err, deviceId: s.device.id }, 'simulated publish not delivered');
  }
}

/** The demo's faults: of the LoRaWAN sensors sorted by id, the second is frozen, the last dying. */
function demoFaults(devices: readonly SimDevice[]): Record<string, LoraFault> {
  const lora = devices
    .filter((d) => d.config?.devEui)
    .map((d) => d.id)
    .sort();
  const out: Record<string, LoraFault> = {};
  if (lora.length >= 2) out[lora[1]!] = 'frozen';
  if (lora.length >= 3) out[lora.at(-1)!] = 'dying-battery';
  return out;
}
