import { hash } from 'node:crypto';
import type { ZodError } from 'zod';
import type { LorawanDecoder, LorawanRejectReason } from '../../gateway/lorawan/decoder.ts';
import type { AvailabilityEngine } from '../availability/engine.ts';
import type { DeviceDirectory, DeviceInfo } from '../inventory/device-directory.ts';
import { isChirpStackTopic } from '../protocol/chirpstack-topics.ts';
import { parseTopic } from '../protocol/topics.ts';
import { Fifo } from '../shared/fifo.ts';
import type { Logger } from '../shared/logger.ts';
import type { Db } from '../store/db.ts';
import type { MarkingStore, Reading, Store } from '../store/store.ts';
import { BatchWriter } from './batch-writer.ts';
import { DirectLane, LANE_MAX_DELAY_MS, type Settled } from './direct-lane.ts';
import type { HandlerContext } from './handlers/handler.ts';
import { CHANNEL_HANDLERS } from './handlers/registry.ts';
import { lorawanDecoderFor } from './lorawan.ts';
import { ReceiveStamps } from './receive-stamps.ts';
import type { RejectLog } from './reject-log.ts';
import type { Spool, SpoolWork } from './spool.ts';

const NO_OP = (): void => {};

/** Why ingest refuses a message; shown as `reject.<reason>`. Never rename one. */
export const INGEST_REJECT_REASONS = [
  'bad-topic',
  'unknown-device',
  'commune-mismatch',
  'malformed-json',
  'bad-version',
  'schema',
  'too-fast-without-ts',
  'overload',
] as const;
type IngestRejectReason = (typeof INGEST_REJECT_REASONS)[number];

/** A publish the broker has authenticated and authorised. */
export interface InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId: string;
  /**
   * The authenticated publisher (a device, or an adapter or gateway in its `reportedBy`). An
   * external broker authenticates devices itself and does not say who published: there, the
   * device the topic names (and clientId the same).
   */
  readonly deviceId: string;
  readonly receivedTs: number;
  /** Delivery QoS (0 when not told): a QoS 1 message is remembered so a redelivery is known. */
  readonly qos?: number;
  /** The DUP flag: the sender (device or external broker) may have delivered it before. */
  readonly dup?: boolean;
  /** The PUBLISH packet identifier (QoS 1): a resend keeps it [MQTT-4.4.0-1]. */
  readonly packetId?: number;
  /**
   * The MQTT session that numbered packetId (packet ids are per session [MQTT-2.3.1-2]): the
   * device's client id on the embedded broker (the default), our own shard session's client id
   * on an external broker, which numbers what it delivers to us itself.
   */
  readonly session?: string;
  /**
   * The connection it arrived on, a number unique for this Ingest (the embedded broker's client
   * connection, or the shard session's connection): a resend comes on a later one. Undefined: only
   * a DUP delivery is matched.
   */
  readonly connection?: number;
}

/** The key of a QoS 1 message with a packet id (see messageKey); undefined for any other. */
function keyOf(msg: InboundMessage): string | undefined {
  return msg.qos && msg.packetId !== undefined
    ? messageKey(msg.session ?? msg.clientId, msg.packetId, msg.topic, msg.payload)
    : undefined;
}

/**
 * What identifies a QoS 1 message among its resends: the session that numbered it, its packet
 * identifier, topic and bytes. A resend keeps its packet identifier [MQTT-4.4.0-1]; a message sent
 * again on purpose gets a new one (or comes on the same connection, or after a DISCONNECT: see
 * spool/redelivery-keys.ts), so it is not taken for a resend.
 */
function messageKey(session: string, packetId: number, topic: string, payload: Buffer): string {
  // The same bytes as ever (keys already in a spool file still match), hashed in one call: a Hash
  // object and five update() calls per message cost more than the digest.
  const head = Buffer.from(`${session}\0${packetId}\0${topic}\0`);
  return hash('sha1', Buffer.concat([head, payload], head.length + payload.length), 'base64');
}

export interface IngestDeps {
  readonly directory: DeviceDirectory;
  readonly availability: AvailabilityEngine;
  readonly store: Store;
  readonly rejects: RejectLog;
  readonly spool: Spool;
  readonly db: Db;
  readonly clock: () => number;
  readonly batchMaxSize: number;
  readonly batchMaxDelayMs: number;
  readonly log: Logger;
  /**
   * Told the earliest reading time of each batch the store took, so the rollup job can roll up
   * readings that arrived late (a gateway's replay, a backfill) past its lookback.
   */
  readonly onStored?: (minTs: number) => void;
  /**
   * The store, when readings may skip the spool while it keeps up (direct-lane.ts): the embedded
   * broker's ingest with the SQLite store. Not for external-broker workers, whose spool files
   * change holders and carry the keys and stamps a taker needs.
   */
  readonly directTo?: MarkingStore;
}

function schemaDetail(err: ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`)
    .join('; ');
}

/**
 * What a channel handler sees of one message, and what it collects. A class, not an object of
 * arrow functions: three fewer closures per message on the hot path.
 */
class MessageContext implements HandlerContext {
  readonly readings: Reading[] = [];
  readonly events: Array<SpoolWork['events'][number]> = [];
  readonly effects: Array<() => void> = [];
  /** This message's receive stamp, once a handler asked for it (see receiveStamp). */
  stamp: { ts: number; tooFast: boolean } | undefined;

  constructor(
    readonly device: DeviceInfo,
    readonly publisherId: string,
    readonly receivedTs: number,
    readonly availability: AvailabilityEngine,
    private readonly stamps: ReceiveStamps,
  ) {}

  receiveStamp(): number {
    this.stamp ??= this.stamps.peek(this.device.id, this.receivedTs);
    return this.stamp.ts;
  }

  addReadings(readings: Reading[]): void {
    for (const r of readings) this.readings.push(r);
  }

  addEvent(e: { ts: number; type: string; severity: string; detail?: unknown }): void {
    this.events.push({
      communeId: this.device.communeId,
      deviceId: this.device.id,
      receivedTs: this.receivedTs,
      ts: e.ts,
      type: e.type,
      severity: e.severity,
      detail: e.detail === undefined ? null : JSON.stringify(e.detail),
    });
  }

  defer(effect: () => void): void {
    this.effects.push(effect);
  }
}

/**
 * A message that passed every check: what it stores, what it changes, and the receive stamp it
 * would take (only once it is known for no resend: see Ingest.take).
 */
interface Decoded {
  readonly device: DeviceInfo;
  readonly work: SpoolWork;
  readonly effects: Array<() => void>;
  readonly stamp: { readonly ts: number; readonly tooFast: boolean } | undefined;
}

/**
 * The one way in for device data: topic → device → JSON → versioned schema → channel handler.
 * A bad message is refused with its reason and counted; it never stops the good ones beside it.
 */
export class Ingest {
  private readonly deps: IngestDeps;
  private readonly writer: BatchWriter;
  private accepted = 0;
  private rejected = 0;
  private redelivered = 0;
  private duplicatesSkipped = 0;
  /** QoS 0 messages refused because the store was far behind (BatchWriter.shedsQos0). */
  private shedQos0 = 0;
  /** QoS 1 messages waiting for the store to catch up (park()), and how many ever did. */
  private readonly parked = new Fifo<{ msg: InboundMessage; done: () => void }>();
  private parkedTotal = 0;
  private readonly stamps = new ReceiveStamps();
  readonly acceptedByDevice = new Map<string, number>();
  /** ChirpStack events (topics under `application/`) become the sensors' cx/v1 documents here. */
  private readonly lorawan: LorawanDecoder;
  private readonly lane: DirectLane | undefined;

  constructor(deps: IngestDeps) {
    this.deps = deps;
    this.lorawan = lorawanDecoderFor(deps.directory, deps.db);
    this.writer = new BatchWriter(deps.store, deps.spool, deps.db, deps.rejects, {
      maxSize: deps.batchMaxSize,
      maxDelayMs: deps.batchMaxDelayMs,
      log: deps.log,
      clock: deps.clock,
      ...(deps.onStored ? { onStored: deps.onStored } : {}),
      onRoom: () => this.unpark(),
    });
    this.lane =
      deps.directTo &&
      new DirectLane(deps.directTo, deps.spool, {
        maxSize: deps.batchMaxSize,
        maxDelayMs: Math.min(deps.batchMaxDelayMs, LANE_MAX_DELAY_MS),
        log: deps.log,
        keepingUp: () => this.writer.keepingUp(),
        stored: (work, readings) => this.writer.storedDirect(work, readings),
      });
  }

  /** Replays whatever a previous run left in the spool. */
  start(): void {
    this.stamps.startAbove(Math.max(this.deps.spool.stampFloor(), this.lane?.adoptMarks() ?? 0));
    this.writer.start();
  }

  /**
   * The broker's hot path. Validates synchronously; a valid message joins the spool's next group
   * commit and `done` runs once it is durable (the broker acknowledges then), followed by its
   * availability effects. A refused message is recorded at once and `done` runs at once.
   */
  accept(msg: InboundMessage, done: () => void = NO_OP): void {
    // Far behind, a QoS 1 message waits here, not yet taken (no spool row, no PUBACK), in arrival
    // order; what comes after one parked is parked too, so none overtakes it.
    if (msg.qos) {
      // Room came (or the store stalled, and the spool takes everything): the parked go first.
      if (this.parked.size > 0) this.unpark();
      if (this.parked.size > 0 || this.writer.parksQos1()) return this.park(msg, done);
    }
    this.take(msg, done);
  }

  /** accept() once it is this message's turn. */
  private take(msg: InboundMessage, done: () => void): void {
    if (msg.dup) this.redelivered += 1;
    if (!msg.qos && this.writer.shedsQos0()) return this.shed(msg, done);
    // A QoS 1 message comes again when its PUBACK was lost: the connection broke, or the service
    // or a worker died between spooling it and acknowledging it. Stamped anew, one without its own
    // ts would be stored twice; the spool says whether it already took this one. One with its own
    // ts rewrites the same rows (readings and events are keyed by it), so only a stamped one needs
    // its key: the key's hash, its check and its row were some 10 µs of a message at 2,000 msg/s
    // (#15). A ChirpStack event is checked first, as ever: its translation remembers frame
    // counters, and an event without `time` is keyed by our receive time.
    const lorawan = isChirpStackTopic(msg.topic);
    let key = lorawan ? keyOf(msg) : undefined;
    if (key && this.skipsResend(key, msg)) return done();
    const decoded = lorawan ? this.decodeLorawan(msg) : this.decode(msg);
    if (!decoded) return done();
    const { device, work, effects, stamp } = decoded;
    if (stamp) {
      key = keyOf(msg);
      if (key && this.skipsResend(key, msg)) return done();
      if (stamp.tooFast) {
        this.reject(
          msg,
          'too-fast-without-ts',
          device,
          `no "ts" and over 1 message per ms: its stamp would run ${stamp.ts - msg.receivedTs} ms ahead of the receive clock; send "ts" (epoch ms)`,
        );
        return done();
      }
      this.stamps.take(device.id, msg.receivedTs, stamp.ts);
    }
    const stampTs = stamp?.ts;
    this.accepted += 1;
    this.acceptedByDevice.set(device.id, (this.acceptedByDevice.get(device.id) ?? 0) + 1);
    if (work.readings.length === 0 && work.events.length === 0) {
      this.applyEffects(effects, device, msg);
      return done();
    }
    const entry = {
      receivedTs: msg.receivedTs,
      topic: msg.topic,
      clientId: msg.clientId,
      payload: msg.payload,
      work,
      key,
      connection: msg.connection,
      stampTs,
    };
    // Inline arrows, not a named one: tsx (esbuild keepNames) gives every named closure a
    // defineProperty call, 3 % of the event loop at 2,000 msg/s.
    if (this.lane?.takes(work)) {
      this.deps.spool.rememberKey(key, msg.connection);
      this.lane.add(entry, (how) => this.settle(how, decoded, msg, done));
    } else
      this.deps.spool.appendGrouped(entry, (durable) =>
        this.settle(durable ? 'spooled' : 'held', decoded, msg, done),
      );
  }

  /** True (and counted) when the message with this key was taken already: a resend. */
  private skipsResend(key: string, msg: InboundMessage): boolean {
    if (!this.deps.spool.isResend(key, msg.connection, msg.dup === true)) return false;
    this.duplicatesSkipped += 1;
    return true;
  }

  /** A taken message is durable (or held in memory): its effects run and its PUBACK may go. */
  private settle(how: Settled, decoded: Decoded, msg: InboundMessage, done: () => void): void {
    if (how === 'spooled') this.writer.notify();
    else if (how === 'held') this.writer.holdInMemory(decoded.work);
    this.applyEffects(decoded.effects, decoded.device, msg);
    this.writer.admit(done);
  }

  /**
   * A QoS 1 message waiting for room: the publisher is alive (heard now), its PUBACK waits, so its
   * sender stops (mqtt.js's in-flight window, or TCP once its socket is unread through the gate).
   * Bounded by what the gate let in: about one socket read per client.
   */
  private park(msg: InboundMessage, done: () => void): void {
    this.parked.push({ msg, done });
    this.parkedTotal += 1;
    this.heardUntaken(msg);
  }

  /** A message not taken (parked, or refused under overload) still proves its publisher alive. */
  private heardUntaken(msg: InboundMessage): void {
    if (this.deps.directory.get(msg.deviceId)) this.deps.availability.heard(msg.deviceId, msg.receivedTs);
  }

  /** Takes parked messages, oldest first, while there is room (or all of them when `all`). */
  private unpark(all = false): void {
    while (this.parked.size > 0 && (all || !this.writer.parksQos1())) {
      const p = this.parked.shift()!;
      this.take(p.msg, p.done);
    }
  }

  /**
   * A QoS 0 message refused under overload: counted per device (no row: a flood would make the
   * reject log its bottleneck; no charge to the sender's budget: it is not the sender's fault), and
   * its completion goes through the gate like any other, so the sender's socket stays unread while
   * the store is behind. Its arrival still proves the publisher alive.
   */
  private shed(msg: InboundMessage, done: () => void): void {
    this.rejected += 1;
    this.shedQos0 += 1;
    this.deps.rejects.tally({
      source: 'ingest',
      reason: 'overload',
      deviceId: msg.deviceId,
      topic: msg.topic,
    });
    this.heardUntaken(msg);
    this.writer.admit(done);
  }

  /**
   * The message is durable (or held): its availability effects run now, and a failing one must not
   * cost its acknowledgement. A method, not a closure per message: tsx (esbuild keepNames) gives
   * every named closure a defineProperty call, measured at 4 % of the event loop.
   */
  private applyEffects(effects: ReadonlyArray<() => void>, device: DeviceInfo, msg: InboundMessage): void {
    try {
      for (const fn of effects) fn();
    } catch (err) {
      this.deps.log.error({ err, deviceId: device.id, topic: msg.topic }, 'availability update failed');
    }
  }

  private decode(msg: InboundMessage): Decoded | undefined {
    const topic = parseTopic(msg.topic);
    if (!topic)
      return this.reject(msg, 'bad-topic', undefined, 'expected cx/v1/{commune}/{device}/{channel}');
    const device = this.deps.directory.get(topic.deviceId);
    if (!device)
      return this.reject(
        msg,
        'unknown-device',
        undefined,
        `device "${topic.deviceId}" is not in any commune file`,
      );
    if (device.communeId !== topic.communeId)
      return this.reject(
        msg,
        'commune-mismatch',
        device,
        `device belongs to ${device.communeId}, topic says ${topic.communeId}`,
      );
    let doc: unknown;
    try {
      doc = JSON.parse(msg.payload.toString('utf8'));
    } catch (err) {
      return this.reject(msg, 'malformed-json', device, (err as Error).message);
    }
    if (typeof doc !== 'object' || doc === null || (doc as { v?: unknown }).v !== 1)
      return this.reject(
        msg,
        'bad-version',
        device,
        `"v" is ${JSON.stringify((doc as { v?: unknown } | null)?.v)}; this service reads v 1`,
      );
    const handler = CHANNEL_HANDLERS[topic.channel];
    let data: unknown = doc;
    if (!handler.accepts?.(doc)) {
      const parsed = handler.schema.safeParse(doc);
      if (!parsed.success)
        return this.reject(msg, 'schema', device, `${topic.channel}: ${schemaDetail(parsed.error)}`);
      data = parsed.data;
    }
    const ctx = new MessageContext(device, msg.deviceId, msg.receivedTs, this.deps.availability, this.stamps);
    handler.handle(ctx, data);
    return {
      device,
      work: { readings: ctx.readings, events: ctx.events },
      effects: ctx.effects,
      stamp: ctx.stamp,
    };
  }

  /**
   * The client ended `connection` with DISCONNECT (`clean`), or it broke. After a DISCONNECT it
   * had its PUBACKs, so the packet ids it used are free for new messages: one-shot clients
   * (mosquitto_pub) start at 1 every run. A broken connection's keys stay: its resends are due.
   */
  connectionClosed(connection: number, clean: boolean): void {
    if (!clean) return;
    const gone = this.deps.spool.releaseKeys(connection);
    if (gone.length > 0) this.lane?.release(gone);
  }

  /** The external broker has no session for us: nothing it delivered before can come again. */
  sessionLost(): void {
    this.deps.spool.releaseKeys('all');
    this.lane?.release('all');
  }

  /**
   * A ChirpStack event from a network server account (the broker let it publish only under its
   * own applications). The LoRaWAN decoder turns it into the sensor's cx/v1 documents, which go
   * through the same schemas and channel handlers as any device's, published by that account;
   * its refusals (unknown DevEUI, undecodable, duplicate frame…) are kept in the reject log with
   * source `lorawan`, which does not charge the account's budget: one bad sensor must not cut off
   * every sensor of the network server. The raw event is what the spool keeps.
   */
  private decodeLorawan(msg: InboundMessage): Decoded | undefined {
    const t = this.lorawan.translate(msg.topic, msg.payload, msg.deviceId, msg.receivedTs);
    const sensor = t.sensor ? this.deps.directory.get(t.sensor.deviceId) : undefined;
    for (const r of t.rejects) this.reject(msg, r.reason, sensor, r.detail, 'lorawan');
    const publisher = this.deps.directory.get(msg.deviceId);
    // The network server's own message is its sign of life, whatever became of the sensor's part.
    const heardPublisher = () => publisher && this.deps.availability.heard(publisher.id, msg.receivedTs);
    if (!sensor || t.messages.length === 0) {
      heardPublisher();
      return undefined;
    }
    // Readings are keyed by the uplink's own time: no receive stamp is taken.
    const ctx = new MessageContext(sensor, msg.deviceId, msg.receivedTs, this.deps.availability, this.stamps);
    for (const m of t.messages) {
      const handler = CHANNEL_HANDLERS[m.channel];
      let data: unknown = m.doc;
      if (!handler.accepts?.(m.doc)) {
        const parsed = handler.schema.safeParse(m.doc);
        if (!parsed.success) {
          this.reject(msg, 'schema', sensor, `${m.channel}: ${schemaDetail(parsed.error)}`, 'lorawan');
          continue;
        }
        data = parsed.data;
      }
      handler.handle(ctx, data);
    }
    ctx.defer(heardPublisher);
    return {
      device: sensor,
      work: { readings: ctx.readings, events: ctx.events },
      effects: ctx.effects,
      stamp: undefined,
    };
  }

  async flush(): Promise<void> {
    this.unpark(true);
    await this.lane?.flush();
    await this.deps.spool.flushPending();
    await this.writer.flush();
    this.deps.availability.flushHeard();
  }

  async stop(): Promise<void> {
    this.unpark(true);
    await this.lane?.flush();
    await this.deps.spool.flushPending();
    await this.writer.stop();
    this.deps.availability.flushHeard();
  }

  /** The overload pushback's counts (inflow-gate.ts): held acknowledgements, closes, peak backlog. */
  inflow() {
    return this.writer.inflow();
  }

  stats() {
    return {
      accepted: this.accepted,
      rejected: this.rejected,
      redelivered: this.redelivered,
      duplicatesSkipped: this.duplicatesSkipped,
      overloadRefusedQos0: this.shedQos0,
      overloadParkedQos1: this.parkedTotal,
      parkedQos1: this.parked.size,
      // Messages without their own ts, stamped with our receive clock; moved: past their receive
      // millisecond because an earlier message of the device already had it.
      receiveStamped: this.stamps.stamped,
      receiveStampsMoved: this.stamps.moved,
      store: this.writer.snapshot(),
      // Messages stored without a spool row while the store kept up (direct-lane.ts).
      directLane: this.lane?.stats() ?? null,
      spool: this.deps.spool.stats(),
    };
  }

  private reject(
    msg: InboundMessage,
    reason: IngestRejectReason | LorawanRejectReason,
    device: DeviceInfo | undefined,
    detail: string,
    source: 'ingest' | 'lorawan' = 'ingest',
  ): undefined {
    this.rejected += 1;
    this.deps.rejects.record({
      source,
      reason,
      communeId: device?.communeId,
      deviceId: device?.id ?? msg.deviceId,
      clientId: msg.clientId,
      topic: msg.topic,
      detail,
      payload: msg.payload,
    });
    this.deps.log.debug({ deviceId: device?.id ?? msg.deviceId, reason }, 'message rejected');
    return undefined;
  }
}
