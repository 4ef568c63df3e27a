/**
 * Idle connections: 10,000 devices connected and silent (keepalive only), to our service and to
 * mosquitto; RSS per connection = (RSS connected − RSS before) / connections. Also how long the
 * 10,000 take to get in: against our service each first CONNECT is one password check against the
 * stored hash (salted SHA-256 for generated device secrets), which is the reconnect storm after a
 * service restart.
 */
import {
  anonymousDevices,
  benchDevices,
  connectAll,
  type Figure,
  fmtInt,
  fmtKB,
  fmtMB,
  fmtMs,
  type Generator,
  procSample,
  provisionCredentials,
  readProbe,
  shellLimit,
  sleep,
  startBenchService,
  startGenerators,
  writeBenchService,
} from './harness.ts';
import { startMosquitto } from './reference-mosquitto.ts';

export interface IdleOptions {
  readonly connections: number;
  readonly generators: number;
  /** Connection attempts in flight per generator process. */
  readonly concurrency: number;
  readonly settleMs: number;
}

export const IDLE_DEFAULTS: IdleOptions = {
  connections: 10_000,
  generators: 4,
  concurrency: 64,
  settleMs: 5000,
};

interface Side {
  readonly connected: number;
  readonly failed: number;
  readonly connectMs: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** Growth of the JS heap in use (after full collections) per connection; NaN for mosquitto. */
  readonly heapPerConnection: number;
}

/**
 * RSS after a full garbage collection in the service (the bench probe's SIGWINCH); mosquitto
 * ignores the signal. Without it the figure was whatever garbage the connect storm had left:
 * 3.7 to 13.5 KB per connection in runs of the same code.
 */
async function liveRss(pid: number): Promise<number> {
  process.kill(pid, 'SIGWINCH');
  await sleep(1000);
  return procSample(pid).rssBytes;
}

/** The JS heap in use after the last collection liveRss asked for (our service only). */
function liveHeap(probeFile: string): number {
  return readProbe(probeFile).heapUsed.at(-1)?.bytes ?? Number.NaN;
}

async function measure(
  pid: number,
  url: string,
  devices: Parameters<typeof connectAll>[2],
  o: IdleOptions,
  probeFile?: string,
): Promise<Side> {
  let gens: Generator[] = [];
  try {
    gens = await startGenerators(o.generators);
    await sleep(1000);
    const before = await liveRss(pid);
    const heapBefore = probeFile ? liveHeap(probeFile) : Number.NaN;
    const c = await connectAll(gens, url, devices, o.concurrency);
    if (c.failed) console.log(`    ${c.failed} connections failed, e.g. ${c.errors.join('; ')}`);
    await sleep(o.settleMs);
    const after = await liveRss(pid);
    const heapAfter = probeFile ? liveHeap(probeFile) : Number.NaN;
    return {
      connected: c.connected,
      failed: c.failed,
      connectMs: c.ms,
      rssBefore: before,
      rssAfter: after,
      heapPerConnection: (heapAfter - heapBefore) / Math.max(1, c.connected),
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
  }
}

function line(name: string, s: Side): string {
  const per = (s.rssAfter - s.rssBefore) / Math.max(1, s.connected);
  return (
    `  ${name}: ${fmtInt(s.connected)} connected in ${fmtMs(s.connectMs)} (${fmtInt(s.connected / (s.connectMs / 1000))} connects/s); ` +
    `RSS ${fmtMB(s.rssBefore)} → ${fmtMB(s.rssAfter)} = ${fmtKB(per)} per connection`
  );
}

export async function benchIdle(opts: Partial<IdleOptions> = {}): Promise<{ figures: Figure[] }> {
  let o = { ...IDLE_DEFAULTS, ...opts };
  const soft = shellLimit('-n');
  const hard = shellLimit('-Hn');
  // Each broker process holds one descriptor per connection plus its own files; the generators hold
  // connections / generators each.
  const need = o.connections + 200;
  console.log(
    `  ulimit -n: soft ${soft}, hard ${hard}; each broker process needs about ${fmtInt(need)} descriptors`,
  );
  if (soft < need) {
    const fit = Math.max(100, soft - 200);
    console.log(
      `  the soft limit is below that: measuring ${fmtInt(fit)} connections (raise it with: ulimit -n ${need} before npm run bench)`,
    );
    o = { ...o, connections: fit };
  }
  const figures: Figure[] = [];

  const svc = writeBenchService(o.connections);
  try {
    const provisionMs = await provisionCredentials(svc);
    const service = await startBenchService(svc);
    let ours: Side;
    try {
      console.log(
        `  service: ${fmtInt(o.connections)} devices; credentials by DeviceCredentials.ensure() in ${fmtMs(provisionMs)} ` +
          `(run before start: startServiceProcess allows 30 s), service up in ${fmtMs(service.startMs)}`,
      );
      ours = await measure(service.pid, service.mqttUrl, benchDevices(svc), o, service.probeFile);
    } finally {
      await service.stop();
    }
    console.log(line('ours', ours));
    const m = await startMosquitto();
    let ref: Side;
    try {
      ref = await measure(m.pid, m.url, anonymousDevices(o.connections), o);
    } finally {
      await m.stop();
    }
    console.log(line(`mosquitto ${m.version}`, ref));
    const per = (s: Side) => (s.rssAfter - s.rssBefore) / Math.max(1, s.connected);
    figures.push(
      {
        scenario: 'idle',
        name: `ours: RSS per idle connection (${fmtInt(ours.connected)})`,
        value: fmtKB(per(ours)),
        note: `${fmtMB(ours.rssBefore)} → ${fmtMB(ours.rssAfter)} after a full GC; live JS heap ${fmtKB(ours.heapPerConnection)} per connection`,
      },
      {
        scenario: 'idle',
        name: 'ours: connect storm',
        value: `${fmtInt(ours.connected / (ours.connectMs / 1000))} connects/s`,
        note: `${fmtInt(ours.connected)} in ${fmtMs(ours.connectMs)} (one hash check per first CONNECT)`,
      },
      {
        scenario: 'idle',
        name: `mosquitto: RSS per idle connection (${fmtInt(ref.connected)})`,
        value: fmtKB(per(ref)),
        note: `${fmtMB(ref.rssBefore)} → ${fmtMB(ref.rssAfter)}`,
      },
      {
        scenario: 'idle',
        name: 'mosquitto: connect storm',
        value: `${fmtInt(ref.connected / (ref.connectMs / 1000))} connects/s`,
        note: 'anonymous',
      },
    );
    return { figures };
  } finally {
    svc.remove();
  }
}
