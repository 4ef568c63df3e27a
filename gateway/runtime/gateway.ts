import type { GatewayConfig } from './config.ts';
import type { Logger } from './logger.ts';
import { Publisher, type PublisherStats } from './publisher.ts';
import { Scheduler, type Timers } from './scheduler.ts';

/**
 * The probe runtime: scheduler → publisher. The same class runs on a box at a hamlet
 * (gateway/main.ts, `npm run gateway`) and, at merge, inside the service. Constructing it opens
 * nothing; start() opens the buffer, connects and schedules; stop() ends runs, then the connection.
 */
export class GatewayRuntime {
  private readonly publisher: Publisher;
  private readonly scheduler: Scheduler;
  private readonly log: Logger;

  constructor(
    config: GatewayConfig,
    opts: { log: Logger; clock?: () => number; timers?: Timers; random?: () => number },
  ) {
    this.log = opts.log.child({ mod: 'gateway', gatewayId: config.gatewayId });
    this.publisher = new Publisher({
      url: config.broker.url,
      gatewayId: config.gatewayId,
      password: config.broker.password,
      bufferFile: config.bufferFile,
      bufferMaxRows: config.bufferMaxRows,
      log: this.log,
      ...(opts.clock ? { clock: opts.clock } : {}),
    });
    this.scheduler = new Scheduler({
      targets: config.targets.map((t) => ({
        deviceId: t.device,
        communeId: t.commune,
        probe: t.probe,
        config: t.config,
        intervalSec: t.intervalSec,
        timeoutMs: t.timeoutMs,
        retries: t.retries,
        confirmations: t.confirmations,
      })),
      sink: this.publisher,
      concurrency: config.concurrency,
      jitterPct: config.jitterPct,
      statusRefreshSec: config.statusRefreshSec,
      log: this.log,
      ...(opts.clock ? { clock: opts.clock } : {}),
      ...(opts.timers ? { timers: opts.timers } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  start(): void {
    this.publisher.start();
    this.scheduler.start();
  }

  async stop(): Promise<void> {
    await this.scheduler.stop();
    await this.publisher.stop();
    this.log.info('gateway stopped');
  }

  stats(): { publisher: PublisherStats; scheduler: ReturnType<Scheduler['stats']> } {
    return { publisher: this.publisher.stats(), scheduler: this.scheduler.stats() };
  }
}
