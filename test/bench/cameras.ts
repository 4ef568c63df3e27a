/**
 * Camera bench (`npm run bench -- --only cameras`, issue #12): one check cycle of 500 stand-in
 * cameras (own process: camera-farm.ts; 2 % hanging until the timeout, the rest a mix of healthy,
 * covered, dark, blurred, turned and drifting), every camera probed in full by the onvif probe
 * (SOAP with WS-Security, RTSP DESCRIBE, snapshot fetched, decoded and judged, kept in a real
 * snapshot store, the camera's event subscription opened) through the runtime's semaphore, while
 * the service (its own process) takes the e2e MQTT load beside it: 1,000 msg/s QoS 1 from the
 * generators of harness.ts, as the probes bench does. Prints the cycle time against the check
 * interval, this process's CPU and RSS peak, the farm's CPU (a starved farm would make the
 * cameras look slow), the service's CPU, RSS and publish→stored p99, and the machine's load. The
 * cycle must fit in the interval. The verdicts are counted here, not published over MQTT.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type OnvifConfig, onvifProbe } from '../../gateway/probes/onvif.ts';
import { ProbeTimeout } from '../../gateway/probes/probe.ts';
import { bindCameraSink } from '../../gateway/probes/support/camera-sink.ts';
import { Semaphore } from '../../gateway/runtime/semaphore.ts';
import { SnapshotStore } from '../../services/cameras/snapshot-store.ts';
import { createLogger } from '../../services/shared/logger.ts';
import {
  benchDevices,
  connectAll,
  cpuPct,
  type Figure,
  fmtInt,
  fmtMB,
  fmtMs,
  fmtPct,
  type Generator,
  ownRssPeak,
  procSample,
  RssWatch,
  runServicePhase,
  type ServicePhase,
  sleep,
  startBenchService,
  startGenerators,
  track,
  writeBenchService,
} from './harness.ts';

export const CAMERAS_DEFAULTS = {
  cameras: 500,
  hangingShare: 0.02,
  concurrency: 32,
  timeoutMs: 10_000,
  intervalSec: 60,
  /** The MQTT load beside the cycle (null: the cycle alone). */
  beside: { devices: 400, generators: 3, ratePerSec: 1000 } as {
    devices: number;
    generators: number;
    ratePerSec: number;
  } | null,
};

/** The service under the e2e MQTT load, measured over `measureMs` from its start. */
async function startLoad(b: NonNullable<(typeof CAMERAS_DEFAULTS)['beside']>, measureMs: number) {
  const svcFiles = writeBenchService(b.devices, 'ingest: { batchMaxDelayMs: 50 }');
  const service = await startBenchService(svcFiles);
  const gens: Generator[] = await startGenerators(b.generators);
  await connectAll(gens, service.mqttUrl, benchDevices(svcFiles));
  const phase = runServicePhase(
    service,
    join(svcFiles.dataDir, 'spool', 'spool.sqlite'),
    gens,
    { qos: 1, window: 10, ratePerSec: b.ratePerSec, warmupMs: 5000, measureMs },
    0,
  );
  // The cycle starts once the load runs at its rate.
  await sleep(5300);
  return {
    phase,
    async stop() {
      await Promise.all(gens.map((g) => g.close()));
      await service.stop();
      svcFiles.remove();
    },
  };
}

function loadFigures(p: ServicePhase, ratePerSec: number): Figure[] {
  return [
    {
      scenario: 'cameras',
      name: 'beside: service CPU / RSS peak',
      value: `${fmtPct(p.svcCpuPct)} / ${fmtMB(p.svcRssPeakBytes)}`,
      note: `${fmtInt(ratePerSec)} msg/s QoS 1; 100 % = one core`,
    },
    {
      scenario: 'cameras',
      name: 'beside: MQTT stored msg/s, publish→stored p99',
      value: `${fmtInt(p.stored.storedPerSec)} / ${fmtMs(p.stored.p99)}`,
    },
  ];
}

async function startFarm(count: number, hangingShare: number) {
  const child = track(
    spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'camera-farm.ts'), String(count), String(hangingShare)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`camera farm exited ${code}`)));
  });
  return { child, cams: JSON.parse(line) as Array<Omit<OnvifConfig, 'port'> & { port: number }> };
}

export async function benchCameras(o = CAMERAS_DEFAULTS): Promise<{ figures: Figure[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cx-bench-cams-'));
  const farm = await startFarm(o.cameras, o.hangingShare);
  const store = new SnapshotStore(dir, { keepPerCamera: 20, log: createLogger({ level: 'error' }) });
  const configs = farm.cams.map((c, i) => {
    const config = onvifProbe.configSchema.parse(c);
    bindCameraSink(config, `cam-${i}`, store);
    return config;
  });
  const semaphore = new Semaphore(o.concurrency);
  const verdicts: Record<string, number> = {};
  let load: Awaited<ReturnType<typeof startLoad>> | undefined;
  let rss: RssWatch | undefined;
  try {
    if (o.beside) load = await startLoad(o.beside, o.intervalSec * 1000);
    rss = new RssWatch(process.pid);
    console.log(
      `  ${o.cameras} cameras, ${Math.round(o.cameras * o.hangingShare)} hanging until ${o.timeoutMs} ms, concurrency ${o.concurrency}` +
        (o.beside
          ? `, beside ${fmtInt(o.beside.ratePerSec)} msg/s QoS 1 from ${o.beside.devices} devices`
          : ''),
    );
    const farmPid = farm.child.pid!;
    const cpu0 = procSample(process.pid);
    const farm0 = procSample(farmPid);
    const started = performance.now();
    await Promise.all(
      configs.map(async (config) => {
        const release = await semaphore.acquire();
        const controller = new AbortController();
        const t = setTimeout(() => controller.abort(new ProbeTimeout(o.timeoutMs)), o.timeoutMs);
        try {
          const r = await onvifProbe.probe(config, controller.signal);
          const key = `${r.verdict}/${r.reason.code}`;
          verdicts[key] = (verdicts[key] ?? 0) + 1;
        } finally {
          clearTimeout(t);
          release();
        }
      }),
    );
    const cycleMs = performance.now() - started;
    const cpu1 = procSample(process.pid);
    const farm1 = procSample(farmPid);
    const figures: Figure[] = [
      {
        scenario: 'cameras',
        name: 'one check cycle',
        value: `${(cycleMs / 1000).toFixed(1)} s`,
        note: `interval ${o.intervalSec} s: ${cycleMs < o.intervalSec * 1000 ? 'fits' : 'DOES NOT FIT'}`,
      },
      {
        scenario: 'cameras',
        name: 'CPU of the gateway process',
        value: fmtPct(cpuPct(cpu0, cpu1)),
        note: '100 % = one core',
      },
      { scenario: 'cameras', name: 'RSS peak', ...ownRssPeak(rss) },
      {
        scenario: 'cameras',
        name: 'CPU of the camera farm',
        value: fmtPct(cpuPct(farm0, farm1)),
        note: 'the 500 stand-ins, their own process',
      },
      { scenario: 'cameras', name: 'verdicts', value: JSON.stringify(verdicts) },
    ];
    if (load && o.beside) figures.push(...loadFigures(await load.phase, o.beside.ratePerSec));
    figures.push({
      scenario: 'cameras',
      name: 'machine load average (1 min)',
      value: loadavg()[0]!.toFixed(1),
    });
    for (const f of figures) console.log(`  ${f.name}: ${f.value}${f.note ? ` (${f.note})` : ''}`);
    return { figures };
  } finally {
    rss?.stop();
    await Promise.all(configs.map((c) => onvifProbe.release!(c)));
    await load?.stop();
    store.close();
    farm.child.stdin?.end();
    farm.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

// `tsx test/bench/cameras.ts [--alone] [--concurrency N]`: without the MQTT load beside it, or
// with another number of runs at once, for comparison.
if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { alone: { type: 'boolean' }, concurrency: { type: 'string' } } });
  await benchCameras({
    ...CAMERAS_DEFAULTS,
    ...(values.alone ? { beside: null } : {}),
    ...(values.concurrency ? { concurrency: Number(values.concurrency) } : {}),
  });
}
