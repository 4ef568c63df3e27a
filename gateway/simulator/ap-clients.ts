import type { Logger } from 'pino';
import { WIFI_CLIENTS_METRIC } from '../../services/protocol/metrics.ts';
import { TELEMETRY } from './telemetry.ts';

const HOUR_MS = 3_600_000;

export interface ClientsDoc {
  readonly v: 1;
  readonly ts: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The demo's probed Wi-Fi APs' client counts. In the field they come from the AP's SNMP agent
 * (the snmp probe's `wifiClients`) through the probe gateway; the demo has no SNMP agent, so this
 * sends what that probe would, through the same gateway (`send`): at start the last `backfillDays`
 * hourly, as a controller uploads the log it kept, so the per-day table is full at once, then every
 * `everyMs`. The counts follow the simulator's daily curve (telemetry.ts).
 */
export class ApClientsPlayer {
  private timer: NodeJS.Timeout | undefined;
  private readonly state = new Map<string, Record<string, number>>();
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(
    private readonly opts: {
      apIds: readonly string[];
      send: (deviceId: string, doc: ClientsDoc) => boolean;
      everyMs: number;
      backfillDays?: number;
      log: Logger;
      clock?: () => number;
      random?: () => number;
    },
  ) {
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  start(): void {
    const now = this.clock();
    const fromTs = Math.floor(now / HOUR_MS) * HOUR_MS - (this.opts.backfillDays ?? 7) * 24 * HOUR_MS;
    let sent = 0;
    for (let ts = fromTs; ts < now; ts += HOUR_MS) sent += this.report(ts);
    this.opts.log.info({ aps: this.opts.apIds.length, sent }, 'simulated AP client log sent');
    this.timer = setInterval(() => this.report(this.clock()), this.opts.everyMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private report(ts: number): number {
    let sent = 0;
    for (const id of this.opts.apIds) {
      const state = this.state.get(id) ?? {};
      this.state.set(id, state);
      const clients = TELEMETRY['wifi-ap']!({ nowTs: ts, state, random: this.random })[WIFI_CLIENTS_METRIC]!;
      if (this.opts.send(id, { v: 1, ts, metrics: { [WIFI_CLIENTS_METRIC]: clients } })) sent++;
    }
    return sent;
  }
}
