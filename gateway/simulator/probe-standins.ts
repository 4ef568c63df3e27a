import { createServer as createHttp } from 'node:http';
import { createServer as createTcp, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { PlayedEvent } from './bulletins.ts';
import { CameraStandIns } from './camera-standins.ts';
import { FlakySchedule, type OfflineControls } from './flaky.ts';

/** A probed device of the demo, as the simulator needs it: where its probe looks. */
export interface StandInTarget {
  readonly deviceId: string;
  /**
   * Probe kind: `http` and `play-status` (url) and `tcp` (host, port) get a stand-in, `onvif` a
   * stand-in camera (camera-standins.ts); others are left alone.
   */
  readonly kind: string;
  readonly config: unknown;
  readonly timeoutMs: number;
  /**
   * The devices its traffic goes through (its site's line, say): when all of them are cut off it
   * is cut off too, and it answers as late as the quickest of them, as on a real network.
   */
  readonly upstreamIds?: readonly string[];
}

/** What a status page, a captive portal and an ONT page all show in the demo, for bodyMatch. */
const PAGE =
  '<!doctype html><html><head><meta charset="utf-8"><title>Canh Xã demo</title></head>' +
  '<body><h1>Wi-Fi miễn phí — đăng nhập</h1><p>Loa: PLAYING</p><p>ONT: OK</p></body></html>';

interface StandIn {
  readonly target: StandInTarget;
  readonly host: string;
  readonly port: number;
  server: Server | null;
  readonly sockets: Set<Socket>;
  /** Answers this late (ms) instead of at once: a line over its latency threshold. */
  slowMs: number;
  /** Taken offline itself (as opposed to cut off by an upstream that is). */
  offline: boolean;
  /**
   * A loudspeaker controller's plays for its status page (`play-status`), oldest first: the page
   * shows the first, which gives way to the next once a probe has read it (`firstRead`).
   */
  plays: PlayedEvent['detail'][];
  firstRead: boolean;
}

/**
 * Loopback stand-ins for the demo's probe targets (`npm start` with the simulator on): a tiny HTTP
 * server per loudspeaker status page, Wi-Fi captive portal and line status page, a TCP listener
 * per firewall/switch management port, each on the address its commune file names (127.x.y.z).
 * A share of them fail now and then on the simulator's flaky schedule: the listener closes (the
 * probe sees refused → down) or, for a target with a latency threshold, answers slowly (→
 * degraded, and the devices behind it show `upstream-degraded`). A target behind a line that goes
 * offline goes with it, so the demo shows what a dead line really looks like: one cause, its
 * devices unreachable behind it.
 */
export class ProbeStandIns implements OfflineControls {
  private readonly standIns = new Map<string, StandIn>();
  private readonly flaky: FlakySchedule;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly flakyShare: number;
  private reconciling: Promise<void> = Promise.resolve();
  /** The security cameras among the targets, for the demo's trouble to turn and cover. */
  readonly cameras: CameraStandIns;

  constructor(opts: {
    targets: readonly StandInTarget[];
    speed: number;
    flakyShare: number;
    log: Logger;
    random?: () => number;
  }) {
    this.log = opts.log.child({ mod: 'gateway.simulator.standins' });
    this.random = opts.random ?? Math.random;
    this.flakyShare = opts.flakyShare;
    this.flaky = new FlakySchedule(this, { speed: opts.speed, random: this.random, log: this.log });
    this.cameras = new CameraStandIns({ targets: opts.targets, log: opts.log });
    for (const target of opts.targets) {
      const at = address(target);
      if (at)
        this.standIns.set(target.deviceId, {
          target,
          ...at,
          server: null,
          sockets: new Set(),
          slowMs: 0,
          offline: false,
          plays: [],
          firstRead: false,
        });
    }
  }

  async start(): Promise<void> {
    await Promise.all([...[...this.standIns.values()].map((s) => this.open(s)), this.cameras.start()]);
    this.flaky.start([...this.standIns.keys()], this.flakyShare);
    this.log.info({ standIns: this.standIns.size }, 'probe stand-ins started');
  }

  async stop(): Promise<void> {
    this.flaky.stop();
    await Promise.all([...[...this.standIns.values()].map((s) => this.close(s)), this.cameras.stop()]);
  }

  /**
   * Closes the target's listener, or makes it slow when it has a latency threshold (half the time,
   * or always with `{ slow: true }`; `{ slow: false }` always closes it).
   */
  async goOffline(deviceId: string, opts: { slow?: boolean } = {}): Promise<void> {
    const s = this.standIns.get(deviceId);
    if (!s) return;
    const threshold = (s.target.config as { latencyDegradedMs?: number }).latencyDegradedMs;
    const slow = threshold !== undefined && (opts.slow ?? this.random() < 0.5);
    if (slow) {
      s.slowMs = Math.min(threshold * 2, s.target.timeoutMs / 2);
      this.log.debug({ deviceId, slowMs: s.slowMs }, 'stand-in answers slowly');
    } else s.offline = true;
    await this.reconcile();
  }

  async comeBack(deviceId: string): Promise<void> {
    const s = this.standIns.get(deviceId);
    if (!s) return;
    s.slowMs = 0;
    s.offline = false;
    await this.reconcile();
  }

  /**
   * A loudspeaker controller played a bulletin: its status page says so (until a later play), and
   * the `play-status` probe reads it there. False for a device without such a page.
   */
  played(deviceId: string, doc: PlayedEvent): boolean {
    const s = this.standIns.get(deviceId);
    if (s?.target.kind !== 'play-status') return false;
    // At start the player reports each schedule's last bulletin at once, out of time order. On a
    // controller that ran all along those plays were hours apart and the probe read each while it
    // was the last one, so the page shows them in time order, each until it has been read: else
    // a demo started during a bulletin would lose the previous bulletin's confirmations.
    const shown = s.plays[0];
    if (shown && s.firstRead && doc.detail.startedTs < shown.startedTs) return true;
    const at = s.plays.findIndex((p) => p.startedTs > doc.detail.startedTs);
    s.plays.splice(at < 0 ? s.plays.length : at, 0, doc.detail);
    return true;
  }

  /**
   * Opens what is reachable and closes what is not, after a target went offline or came back. One
   * pass at a time: two overlapping passes would listen twice on one address.
   */
  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling
      .then(() => this.reconcileNow())
      .catch((err) => this.log.warn({ err }, 'stand-ins could not follow a change'));
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    await Promise.all(
      [...this.standIns.values()].map((s) =>
        this.reachable(s, new Set()) ? (s.server ? undefined : this.open(s)) : this.close(s),
      ),
    );
  }

  /** Not offline itself, and through at least one upstream that is reachable (or not played here). */
  private reachable(s: StandIn, seen: Set<string>): boolean {
    if (s.offline) return false;
    const ups = (s.target.upstreamIds ?? []).filter((id) => !seen.has(id));
    if (ups.length === 0) return true;
    seen.add(s.target.deviceId);
    return ups.some((id) => {
      const up = this.standIns.get(id);
      return up === undefined || this.reachable(up, seen);
    });
  }

  /** Its own slowness plus the quickest way through its upstreams. */
  private delayMs(s: StandIn, seen: Set<string>): number {
    const ups = (s.target.upstreamIds ?? [])
      .filter((id) => !seen.has(id))
      .map((id) => this.standIns.get(id))
      .filter((u): u is StandIn => u !== undefined && this.reachable(u, new Set()));
    seen.add(s.target.deviceId);
    return s.slowMs + (ups.length ? Math.min(...ups.map((u) => this.delayMs(u, seen))) : 0);
  }

  private open(s: StandIn): Promise<void> {
    const server =
      s.target.kind === 'http' || s.target.kind === 'play-status'
        ? createHttp((_req, res) => {
            const answer = () =>
              s.target.kind === 'play-status'
                ? res
                    .writeHead(200, { 'content-type': 'application/json' })
                    .end(statusPage(showPlay(s)), () => {
                      s.firstRead = s.plays.length > 0;
                    })
                : res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
            const late = this.delayMs(s, new Set());
            if (late > 0) setTimeout(answer, late).unref();
            else answer();
          })
        : createTcp((socket) => socket.end());
    server.on('connection', (c: Socket) => {
      s.sockets.add(c);
      c.on('close', () => s.sockets.delete(c));
    });
    return new Promise((resolve) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        // Another demo on this machine holds the address: its stand-in answers for ours.
        this.log.warn(
          { err, deviceId: s.target.deviceId, host: s.host, port: s.port },
          'stand-in cannot listen',
        );
        resolve();
      });
      server.listen(s.port, s.host, () => {
        s.server = server;
        resolve();
      });
    });
  }

  private close(s: StandIn): Promise<void> {
    const server = s.server;
    s.server = null;
    if (!server) return Promise.resolve();
    for (const c of s.sockets) c.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

/** Where the probe looks, if it is a loopback address this process may serve. */
function address(t: StandInTarget): { host: string; port: number } | undefined {
  const c = t.config as { url?: string; host?: string; port?: number };
  let host: string | undefined;
  let port: number | undefined;
  if ((t.kind === 'http' || t.kind === 'play-status') && c.url) {
    const u = new URL(c.url);
    if (u.protocol !== 'http:') return undefined;
    host = u.hostname;
    port = Number(u.port || 80);
  } else if (t.kind === 'tcp') {
    host = c.host;
    port = c.port;
  }
  if (!host || !port || !/^127\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  return { host, port };
}

/** The play the page shows now: the next one once the shown one has been read (sent whole). */
function showPlay(s: StandIn): PlayedEvent['detail'] | null {
  if (s.firstRead && s.plays.length > 1) {
    s.plays.shift();
    s.firstRead = false;
  }
  return s.plays[0] ?? null;
}

/**
 * The demo controller's status page, as the `play-status` probe's default JSON paths read it: the
 * start in Vietnam's local time with its offset, as a controller's web API writes it.
 */
function statusPage(last: PlayedEvent['detail'] | null): string {
  const lastPlayed = last && {
    id: last.broadcastId,
    startedAt: `${new Date(last.startedTs + 7 * 3_600_000).toISOString().slice(0, 19)}+07:00`,
    durationSec: last.durationSec,
  };
  return JSON.stringify({ state: 'idle', lastPlayed });
}
