import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { DeviceCredentials } from '../auth/device-credentials.ts';
import type { RejectLog } from '../ingest/reject-log.ts';
import type { DeviceDirectory } from '../inventory/device-directory.ts';
import type { Logger } from '../shared/logger.ts';
import { makeConnectHooks } from './authenticate.ts';
import { makeAuthorizePublish, type OnPublish } from './authorize-publish.ts';
import { makeAuthorizeSubscribe } from './authorize-subscribe.ts';
import { watchFrameSize } from './frame-limit.ts';
import type { HookContext, Refusal, RefusalReason } from './hook-context.ts';

export type { BrokerMessage, OnPublish } from './authorize-publish.ts';
export type { RefusalReason } from './hook-context.ts';

export interface BrokerOptions {
  readonly config: { readonly host: string; readonly port: number; readonly maxPayloadBytes: number };
  readonly directory: DeviceDirectory;
  readonly credentials: DeviceCredentials;
  readonly rejects: RejectLog;
  /** Called synchronously for every accepted publish and will, before the broker acknowledges it. */
  readonly onPublish: OnPublish;
  readonly log: Logger;
  readonly clock?: () => number;
}

export interface BrokerStats {
  readonly clientsConnected: number;
  readonly connectsAccepted: number;
  readonly refused: Readonly<Partial<Record<RefusalReason, number>>>;
  readonly publishesAccepted: number;
}

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

  constructor(opts: BrokerOptions) {
    this.opts = opts;
    this.log = opts.log.child({ mod: 'broker' });
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
      authorizePublish: makeAuthorizePublish(ctx, countingOnPublish),
      authorizeSubscribe: makeAuthorizeSubscribe(ctx),
    });
    aedes.on('clientReady', (client) => {
      this.connectsAccepted++;
      this.log.debug({ deviceId: client.id }, 'client connected');
    });
    aedes.on('clientError', (client, err) => this.log.debug({ deviceId: client.id, err }, 'client error'));
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
    const { server, aedes } = this;
    this.server = null;
    this.aedes = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    if (aedes) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
    this.log.info('broker stopped');
  }

  stats(): BrokerStats {
    return {
      clientsConnected: this.aedes?.connectedClients ?? 0,
      connectsAccepted: this.connectsAccepted,
      refused: { ...this.refused },
      publishesAccepted: this.publishesAccepted,
    };
  }

  private hookContext(): HookContext {
    const { directory, credentials, config, rejects } = this.opts;
    return {
      directory,
      credentials,
      maxPayloadBytes: config.maxPayloadBytes,
      log: this.log,
      clock: this.opts.clock ?? Date.now,
      stopping: () => this.stopping,
      refuse: (reason: RefusalReason, r: Refusal) => {
        this.refused[reason] = (this.refused[reason] ?? 0) + 1;
        this.log.debug(
          { reason, deviceId: r.deviceId, clientId: r.clientId, topic: r.topic, detail: r.detail },
          'refused',
        );
        try {
          const communeId = r.deviceId ? directory.get(r.deviceId)?.communeId : undefined;
          rejects.record({ source: 'broker', reason, communeId, ...r });
        } catch (err) {
          // The count above still shows the refusal; the log is the remaining trace.
          this.log.error({ err, reason, deviceId: r.deviceId }, 'reject log write failed');
        }
      },
    };
  }
}
