/**
 * Probe runtime bench (`npm run bench -- --only probes`): the scheduler and the publisher of
 * gateway/runtime in this process, against loopback targets (TCP listeners and HTTP servers), 5 %
 * of the targets hanging until their timeout (a server that accepts and never answers), results
 * published QoS 1 through the disk buffer to a real mosquitto. Prints probes/min, scheduling lag
 * (due → slot taken) p50/p99, and this process's CPU and RSS. Figures only; nothing asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http } from '../../gateway/probes/http.ts';
import { tcp } from '../../gateway/probes/tcp.ts';
import { Publisher } from '../../gateway/runtime/publisher.ts';
import { type ProbeTarget, Scheduler } from '../../gateway/runtime/scheduler.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { startMosquitto } from '../setup/mosquitto.ts';
import { httpServer, silentServer, tcpListener } from '../standins/probe-targets.ts';
import { cpuPct, type Figure, fmtMs, fmtPct, ownRssPeak, procSample, RssWatch, sleep } from './harness.ts';

export const PROBES_DEFAULTS = {
  targets: 1000,
  intervalSec: 20,
  hangingShare: 0.05,
  timeoutMs: 5000,
  concurrency: 64,
  warmupMs: 25_000,
  measureMs: 60_000,
};

export async function benchProbes(o = PROBES_DEFAULTS): Promise<{ figures: Figure[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-bench-probes-'));
  const log = createLogger({ level: 'error' });
  const broker = await startMosquitto(dir, 'allow_anonymous true\nmax_queued_messages 1000000');
  const [tcpA, tcpB, web, hang] = await Promise.all([
    tcpListener(),
    tcpListener(),
    httpServer((_q, res) => res.end('<title>Trạm y tế xã</title>')),
    silentServer(),
  ]);
  const hanging = Math.round(o.targets * o.hangingShare);
  const targets: ProbeTarget[] = Array.from({ length: o.targets }, (_, i) => {
    const base = {
      deviceId: `bench-${i}`,
      communeId: 'bench',
      intervalSec: o.intervalSec,
      timeoutMs: o.timeoutMs,
    };
    const common = { ...base, retries: 0, confirmations: 3 };
    if (i < hanging)
      return {
        ...common,
        probe: http,
        config: http.configSchema.parse({ url: `http://127.0.0.1:${hang.port}/` }),
      };
    if (i % 2 === 0)
      return {
        ...common,
        probe: http,
        config: http.configSchema.parse({ url: `http://127.0.0.1:${web.port}/`, bodyMatch: 'Trạm' }),
      };
    return { ...common, probe: tcp, config: { host: '127.0.0.1', port: (i % 4 === 1 ? tcpA : tcpB).port } };
  });
  const publisher = new Publisher({
    url: broker.url,
    gatewayId: 'bench-gw',
    password: 'unused',
    bufferFile: join(dir, 'buffer.sqlite'),
    bufferMaxRows: 1_000_000,
    log,
  });
  publisher.start();
  const scheduler = new Scheduler({
    targets,
    sink: publisher,
    concurrency: o.concurrency,
    jitterPct: 10,
    statusRefreshSec: 300,
    log,
  });
  const rss = new RssWatch(process.pid);
  try {
    console.log(
      `  ${o.targets} targets every ${o.intervalSec} s (${hanging} hanging until ${o.timeoutMs} ms), concurrency ${o.concurrency}; ` +
        `target ${Math.round((o.targets * 60) / o.intervalSec)} probes/min`,
    );
    scheduler.start();
    await sleep(o.warmupMs);
    scheduler.lagPercentiles(); // the window below reads the last 4,096 runs
    const runs0 = scheduler.stats().runs;
    const acked0 = publisher.stats().acknowledged;
    const cpu0 = procSample(process.pid);
    rss.reset();
    await sleep(o.measureMs);
    const cpu1 = procSample(process.pid);
    const s = scheduler.stats();
    const perMin = ((s.runs - runs0) * 60_000) / (cpu1.ts - cpu0.ts);
    const lag = scheduler.lagPercentiles();
    const pub = publisher.stats();
    const published = ((pub.acknowledged - acked0) * 1000) / (cpu1.ts - cpu0.ts);
    const verdicts: Record<string, number> = {};
    for (const t of s.targets) verdicts[t.verdict ?? 'none'] = (verdicts[t.verdict ?? 'none'] ?? 0) + 1;
    const figures: Figure[] = [
      {
        scenario: 'probes',
        name: 'probes/min achieved',
        value: Math.round(perMin).toLocaleString('en-US'),
        note: `${o.targets} targets, 5 % hanging`,
      },
      {
        scenario: 'probes',
        name: 'scheduling lag p50 / p99',
        value: `${fmtMs(lag.p50)} / ${fmtMs(lag.p99)}`,
        note: `last ${lag.samples} runs`,
      },
      {
        scenario: 'probes',
        name: 'CPU of the gateway process',
        value: fmtPct(cpuPct(cpu0, cpu1)),
        note: '100 % = one core',
      },
      { scenario: 'probes', name: 'RSS peak', ...ownRssPeak(rss) },
      {
        scenario: 'probes',
        name: 'messages acknowledged/s (QoS 1 via disk buffer)',
        value: published.toFixed(0),
        note: `buffered now ${pub.buffered}, dropped ${pub.dropped}`,
      },
      {
        scenario: 'probes',
        name: 'slots in use: max',
        value: `${s.maxInUse} of ${o.concurrency}`,
        note: `verdicts ${JSON.stringify(verdicts)}`,
      },
    ];
    for (const f of figures) console.log(`  ${f.name}: ${f.value}${f.note ? ` (${f.note})` : ''}`);
    return { figures };
  } finally {
    rss.stop();
    await scheduler.stop();
    await publisher.stop();
    await Promise.all([tcpA.close(), tcpB.close(), web.close(), hang.close(), broker.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}
