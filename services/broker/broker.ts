import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { DeviceCredentials } from '../auth/device-credentials.ts';
import type { RejectLog } from '../ingest/reject-log.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { Logger } from '../shared/logger.ts';
import { shownName } from '../shared/mask.ts';
import { makeConnectHooks } from './authenticate.ts';
import { makeAuthorizePublish, type OnPublish } from './authorize-publish.ts';
import { makeAuthorizeSubscribe } from './authorize-subscribe.ts';
import { ClientBudget, type ClientLimits, type CoolDown, DEFAULT_CLIENT_LIMITS } from './client-budget.ts';
import { watchFrameSize } from './frame-limit.ts';
import type { HookContext, Refusal, RefusalReason } from './hook-context.ts';
import { leaveUplinksUnrouted } from './uplinks-unrouted.ts';

export type { BrokerMessage, OnPublish } from './authorize-publish.ts';
export type { RefusalReason } from './hook-context.ts';

export interface BrokerOptions {
  readonly config: {
    readonly host: string;
    readonly port: number;
    readonly maxPayloadBytes: number;
    /** Per-client rate limits (config `mqtt.limits`); DEFAULT_CLIENT_LIMITS when absent. */
    readonly limits?: ClientLimits;
  };
  readonly directory: DeviceDirectory;
  readonly credentials: DeviceCredentials;
  readonly rejects: RejectLog;
  /** Called synchronously for every accepted publish and will, before the broker acknowledges it. */
  readonly onPublish: OnPublish;
  /**
   * A client connection ended: `clean` when the client sent DISCONNECT (MQTT 3.1.1 §3.14), not
   * when it broke or was closed. `connection` is BrokerMessage.connection.
   */
  readonly onConnectionClosed?: (connection: number, clean: boolean) => void;
  readonly log: Logger;
  readonly clock?: () => number;
}

export interface BrokerStats {
  readonly clientsConnected: number;
  readonly connectsAccepted: number;
  /** Every refusal, exact (the reject log keeps one row per cool-down of `rate-limited`). */
  readonly refused: Readonly<Partial<Record<RefusalReason, number>>>;
  readonly publishesAccepted: number;
  /** Client ids and addresses refused for a cool-down right now. */
  readonly coolingDown: number;
}

/** Refusals of a message (not of a CONNECT) that charge the publisher's reject budget. */
const MESSAGE_REASONS: ReadonlySet<RefusalReason> = new Set([
  'forbidden-topic',
  'oversized',
  'retain-not-allowed',
  'forbidden-subscribe',
]);

/**
 * How long a client's socket may refuse to drain before aedes destroys it (aedes's default, made
 * explicit). Devices may subscribe only to their own cmd tree, so no stalled reader can hold up
 * the delivery of others' messages; this bounds what a stalled one holds: its own PUBACKs.
 * https://github.com/moscajs/aedes/blob/main/docs/Aedes.md ("drainTimeout")
 */
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Bytes a packet may carry beyond its payload before the frame guard cuts the connection: a
 * PUBLISH adds its topic (ours are under 200 bytes) and ids. A payload just over the limit still
 * reaches authorizePublish, which refuses it with the topic named.
 */
const FRAME_HEADROOM_BYTES = 1024;

/**
 * The embedded MQTT 3.1.1 broker (aedes on a plain TCP listener): every device connects here with
 * its own credentials, and every accepted message goes to onPublish. Hooks live one per file.
 */
export class Broker {
  private readonly opts: BrokerOptions;
  private readonly log: Logger;
  private aedes: Aedes | null = null;
  private server: Server | null = null;
  private stopping = false;
  private connectsAccepted = 0;
  private publishesAccepted = 0;
  private readonly refused: Partial<Record<RefusalReason, number>> = {};
  private readonly budget: ClientBudget;
  /** Clients being disconnected for their reject budget: what they still send is refused unread. */
  private readonly cut = new WeakSet<Client>();
  private unlisten: (() => void) | null = null;
  private readonly connections = new WeakMap<object, number>();
  private nextConnection = 1;

  constructor(opts: BrokerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ mod: 'broker' });
    this.budget = new ClientBudget(opts.config.limits ?? DEFAULT_CLIENT_LIMITS, opts.clock ?? Date.now);
  }

  async start(): Promise<{ port: number }> {
    if (this.aedes) throw new Error('broker: already started');
    this.stopping = false;
    const { config, onPublish } = this.opts;
    const ctx = this.hookContext();
    const countingOnPublish: OnPublish = (msg, done) => {
      onPublish(msg, done);
      this.publishesAccepted++;
    };
    const aedes = await Aedes.createBroker({
      ...makeConnectHooks(ctx),
      authorizePublish: this.unlessCut(ctx, makeAuthorizePublish(ctx, countingOnPublish)),
      authorizeSubscribe: makeAuthorizeSubscribe(ctx),
      drainTimeout: DRAIN_TIMEOUT_MS,
    });
    leaveUplinksUnrouted(aedes);
    // Ingest refuses what the broker let through (JSON, schema): those charge the publisher too.
    this.unlisten = this.opts.rejects.onRecord((r) => {
      if (r.source === 'ingest' && r.clientId) this.chargeMessage(ctx, r.clientId);
    });
    aedes.on('clientReady', (client) => {
      this.connectsAccepted++;
      this.log.debug({ deviceId: client.id }, 'client connected');
    });
    aedes.on('clientError', (client, err) =>
      this.log.debug({ deviceId: this.shownClientId(client.id), err }, 'client error'),
    );
    aedes.on('clientDisconnect', (client) => {
      const connection = this.connections.get(client);
      // aedes marks a client that sent DISCONNECT (lib/handlers/index.js, [MQTT-3.14.4-3]) so as
      // not to publish its will; the flag is not in its typings.
      const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true;
      if (connection !== undefined) this.opts.onConnectionClosed?.(connection, clean);
    });
    this.aedes = aedes;
    const server = createServer((socket) => {
      const client = aedes.handle(socket);
      watchFrameSize(socket, config.maxPayloadBytes + FRAME_HEADROOM_BYTES, (announced) =>
        ctx.refuse('oversized', {
          deviceId: client.connected ? client.id : undefined,
          clientId: client.id ?? undefined,
          detail: `packet announces ${announced} bytes, over the limit of ${config.maxPayloadBytes} + ${FRAME_HEADROOM_BYTES}`,
        }),
      );
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.log.info({ host: config.host, port }, 'broker listening');
    return { port };
  }

  /** Stops listening and closes every client; their wills are held back (see authorize-publish.ts). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unlisten?.();
    this.unlisten = null;
    const { server, aedes } = this;
    this.server = null;
    this.aedes = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
    this.log.info('broker stopped');
  }

  /**
   * Closes the connection of the client with this id, if connected (its device secret was just
   * rotated: the old password must stop working at once, not at the next reconnect). True if one
   * was closed. Its will is published, as for any connection lost without DISCONNECT.
   */
  disconnect(clientId: string): boolean {
    const client = this.aedes ? (this.aedes as unknown as AedesClients).clients[clientId] : undefined;
    if (!client) return false;
    client.close();
    return true;
  }

  stats(): BrokerStats {
    return {
      clientsConnected: this.aedes?.connectedClients ?? 0,
      connectsAccepted: this.connectsAccepted,
      refused: { ...this.refused },
      publishesAccepted: this.publishesAccepted,
      coolingDown: this.budget.coolingDown(),
    };
  }

  /**
   * A refused message charges its publisher's budget; past it the client is disconnected and
   * refused for a cool-down. The close waits for the current packet's hook to return (it may be
   * inside Ingest.accept, and closing fires the will through that same path); until then the
   * packets already read from its socket are refused unread by unlessCut.
   */
  private chargeMessage(ctx: HookContext, clientId: string): void {
    const c = this.budget.messageRefused(clientId);
    if (!c) return;
    const client = this.aedes ? (this.aedes as unknown as AedesClients).clients[clientId] : undefined;
    if (!client || this.cut.has(client)) return;
    this.cut.add(client);
    ctx.rateLimited(c, { deviceId: this.opts.directory.get(clientId)?.id, clientId, detail: 'disconnected' });
    setImmediate(() => client.close());
  }

  private unlessCut(
    ctx: HookContext,
    authorize: NonNullable<AedesOptions['authorizePublish']>,
  ): NonNullable<AedesOptions['authorizePublish']> {
    return (client, packet, callback) => {
      // A will (cmd undefined) still goes through: the device is gone, and that is news.
      if (client && packet.cmd === 'publish' && this.cut.has(client)) {
        const c = this.budget.messageRefused(client.id);
        if (c)
          ctx.rateLimited(c, {
            deviceId: this.opts.directory.get(client.id)?.id,
            clientId: client.id,
            topic: packet.topic,
            detail: 'publish after the cut-off, not read',
          });
        return callback(new Error('rate-limited'));
      }
      authorize(client, packet, callback);
    };
  }

  private hookContext(): HookContext {
    const { directory, credentials, config } = this.opts;
    const ctx: HookContext = {
      directory,
      credentials,
      maxPayloadBytes: config.maxPayloadBytes,
      log: this.log,
      clock: this.opts.clock ?? Date.now,
      stopping: () => this.stopping,
      connectionOf: (client) => {
        const known = this.connections.get(client);
        if (known !== undefined) return known;
        const n = this.nextConnection++;
        this.connections.set(client, n);
        return n;
      },
      budget: this.budget,
      refuse: (reason: RefusalReason, r: Refusal) => {
        this.count(reason, r, true);
        if (MESSAGE_REASONS.has(reason) && r.clientId && r.deviceId) this.chargeMessage(ctx, r.clientId);
      },
      rateLimited: (c: CoolDown, r: Refusal) => {
        const first = c.refused++ === 0;
        const until = new Date(c.untilTs).toISOString();
        const detail = `${r.detail}: ${c.why}, refused until ${until} (strike ${c.strikes})`;
        if (first)
          this.log.warn(
            {
              deviceId: r.deviceId,
              clientId: this.shownClientId(r.clientId),
              key: this.shownKey(c.key),
              until,
              strikes: c.strikes,
            },
            'rate limited',
          );
        this.count('rate-limited', { ...r, detail }, first);
      },
    };
    return ctx;
  }

  /**
   * A client id as logs and the reject log may show it: whole when it is one of our devices,
   * masked otherwise (a CONNECT's fields are where a mistyped password lands; see shared/mask.ts).
   */
  private shownClientId(clientId: string | undefined): string | undefined {
    return clientId === undefined
      ? undefined
      : shownName(clientId, this.opts.directory.get(clientId) !== undefined);
  }

  /** A cool-down key (`id:`/`guess:` + client id, or `addr:` + address) with its client id shown as above. */
  private shownKey(key: string): string {
    const i = key.indexOf(':');
    return key.startsWith('addr:') ? key : `${key.slice(0, i)}:${this.shownClientId(key.slice(i + 1))}`;
  }

  /** Counts the refusal and records it, with a row when `row` (else counted only). Never throws. */
  private count(reason: RefusalReason, refusal: Refusal, row: boolean): void {
    const { directory, rejects } = this.opts;
    const r = { ...refusal, clientId: this.shownClientId(refusal.clientId) };
    this.refused[reason] = (this.refused[reason] ?? 0) + 1;
    this.log.debug(
      { reason, deviceId: r.deviceId, clientId: r.clientId, topic: r.topic, detail: r.detail },
      'refused',
    );
    try {
      const communeId = r.deviceId ? directory.get(r.deviceId)?.communeId : undefined;
      const reject = { source: 'broker' as const, reason, communeId, ...r };
      if (row) rejects.record(reject);
      else rejects.tally(reject);
    } catch (err) {
      // The count above still shows the refusal; the log is the remaining trace.
      this.log.error({ err, reason, deviceId: r.deviceId }, 'reject log write failed');
    }
  }
}

/** aedes keeps its connected clients by id; its type declarations omit the map. */
interface AedesClients {
  readonly clients: Readonly<Record<string, Client | undefined>>;
}
