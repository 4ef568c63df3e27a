import onvif from 'onvif';
import type { Config } from '../../config/load.ts';
import type { Logger } from '../shared/logger.ts';

/** An ONVIF device that answered a WS-Discovery probe and that no onvif probe target names. */
export interface DiscoveredDevice {
  /** Its WS-Discovery endpoint reference (urn:uuid:…), stable across its reboots. */
  readonly endpoint: string;
  /** Its device service URLs (XAddrs). */
  readonly xaddrs: readonly string[];
  readonly host: string;
  readonly port: number;
  /** What its scopes say it is (onvif://www.onvif.org/name/…, …/hardware/…), when they say. */
  readonly name: string | null;
  readonly hardware: string | null;
}

export interface DiscoveryRun {
  readonly ranTs: number;
  readonly timeoutMs: number;
  /** Answers that were not a ProbeMatch (a broken device on the LAN): counted, never a failure. */
  readonly malformedAnswers: number;
  /** Why the probe could not be sent (ENETUNREACH: no route for multicast), or null. */
  readonly error: string | null;
  readonly devices: readonly DiscoveredDevice[];
}

// The package's Discovery is a process-wide EventEmitter that emits 'error' for every answer it
// cannot read; with no listener Node would throw it and end the process. The run's callback gets
// the same errors, so this listener only keeps them from being fatal.
onvif.Discovery.on('error', () => {});

/**
 * WS-Discovery (ONVIF Core §7.3) from the service: the `onvif` package's Discovery.probe sends a
 * Probe for NetworkVideoTransmitter to 239.255.255.250:3702 out of the default route's interface
 * (multicast loops back to listeners on this host too) and collects the ProbeMatches for
 * `timeoutMs`. Devices whose XAddr host and port match an onvif probe target of the inventory are
 * left out: what remains is a camera on the LAN that nobody watches. Only the service's own LAN is
 * searched; a gateway box at a hamlet watches another (issue #12).
 *
 * One run at a time; an answer is reused for `cacheMs`, so a page reload does not flood the LAN.
 */
export class OnvifDiscovery {
  private running: Promise<DiscoveryRun> | undefined;
  private last: DiscoveryRun | undefined;

  constructor(
    private readonly opts: {
      /** host:port of every onvif probe target in the inventory. */
      known: ReadonlySet<string>;
      timeoutMs: number;
      cacheMs: number;
      clock: () => number;
      log: Logger;
    },
  ) {}

  run(): Promise<DiscoveryRun> {
    const now = this.opts.clock();
    if (this.last && now - this.last.ranTs < this.opts.cacheMs) return Promise.resolve(this.last);
    this.running ??= this.probe().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private probe(): Promise<DiscoveryRun> {
    const ranTs = this.opts.clock();
    return new Promise((resolve) => {
      let settled = false;
      // The package calls back once for a socket error and again at its timeout: the first counts.
      onvif.Discovery.probe({ timeout: this.opts.timeoutMs, resolve: false }, (err, found) => {
        if (settled) return;
        settled = true;
        if (err && !Array.isArray(err)) {
          const error = (err as NodeJS.ErrnoException).code ?? err.message;
          this.opts.log.warn({ err }, 'onvif discovery could not probe');
          return resolve({ ranTs, timeoutMs: this.opts.timeoutMs, malformedAnswers: 0, error, devices: [] });
        }
        const devices = dedupe((found ?? []).flatMap((f) => toDevice(f)));
        const run: DiscoveryRun = {
          ranTs,
          timeoutMs: this.opts.timeoutMs,
          malformedAnswers: Array.isArray(err) ? err.length : 0,
          error: null,
          devices: devices.filter((d) => !d.xaddrs.some((x) => this.opts.known.has(hostPort(x) ?? ''))),
        };
        this.last = run;
        this.opts.log.info(
          { answered: devices.length, unknown: run.devices.length, malformed: run.malformedAnswers },
          'onvif discovery ran',
        );
        resolve(run);
      });
    });
  }
}

/** The inventory's onvif targets as host:port (what their XAddrs would say). */
export function knownCameras(config: Pick<Config, 'probeTargets'>): Set<string> {
  const out = new Set<string>();
  for (const t of config.probeTargets) {
    if (t.kind !== 'onvif') continue;
    const c = t.config as { host: string; port: number };
    out.add(`${c.host.toLowerCase()}:${c.port}`);
  }
  return out;
}

/** The service's discovery, with the defaults the cameras page uses. */
export function onvifDiscoveryFor(config: Config, clock: () => number, log: Logger): OnvifDiscovery {
  return new OnvifDiscovery({
    known: knownCameras(config),
    timeoutMs: 3000,
    cacheMs: 60_000,
    clock,
    log: log.child({ mod: 'cameras.discovery' }),
  });
}

function hostPort(xaddr: string): string | undefined {
  try {
    const u = new URL(xaddr);
    return `${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
  } catch {
    return undefined;
  }
}

/** A ProbeMatch as the package's linerase gives it (resolve: false), checked as it is read. */
export function toDevice(found: unknown): DiscoveredDevice[] {
  // biome-ignore lint/suspicious/noExplicitAny: linerase output of a device's answer.
  const m = (found as any)?.probeMatches?.probeMatch;
  const endpoint = m?.endpointReference?.address;
  const xaddrs = String(m?.XAddrs ?? '')
    .split(/\s+/)
    .filter((x) => hostPort(x) !== undefined);
  const first = xaddrs[0];
  if (typeof endpoint !== 'string' || !first) return [];
  const [host, port] = hostPort(first)!.split(/:(?=\d+$)/);
  const scopes = String(m?.scopes ?? '').split(/\s+/);
  const scope = (name: string) => {
    const s = scopes.find((x) => x.startsWith(`onvif://www.onvif.org/${name}/`));
    if (!s) return null;
    const raw = s.slice(`onvif://www.onvif.org/${name}/`.length);
    // Any device on the LAN may answer: a bad escape (…/name/%E0) must not throw out of the
    // package's timer callback, where nothing would catch it.
    try {
      return decodeURIComponent(raw);
    } catch {
      return raw;
    }
  };
  return [
    { endpoint, xaddrs, host: host!, port: Number(port), name: scope('name'), hardware: scope('hardware') },
  ];
}

function dedupe(devices: DiscoveredDevice[]): DiscoveredDevice[] {
  return [...new Map(devices.map((d) => [d.endpoint, d])).values()];
}
