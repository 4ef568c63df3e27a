/**
 * Camera bench (`npm run bench -- --only cameras`, issue #12): one check cycle of 500 stand-in
 * cameras (own process: camera-farm.ts; 2 % hanging until the timeout, the rest a mix of healthy,
 * covered, dark, blurred, turned and drifting), every camera probed in full by the onvif probe
 * (SOAP with WS-Security, RTSP DESCRIBE, snapshot fetched, decoded and judged, kept in a real
 * snapshot store) through the runtime's semaphore. Prints the cycle time against the check
 * interval, this process's CPU and RSS peak. The cycle must fit in the interval. TODO #12: run it
 * beside the e2e MQTT load (the generators of harness.ts) and publish the verdicts through the
 * disk-buffered publisher, as the probes bench does.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type OnvifConfig, onvifProbe } from '../../gateway/probes/onvif.ts';
import { ProbeTimeout } from '../../gateway/probes/probe.ts';
import { bindCameraSink } from '../../gateway/probes/support/camera-sink.ts';
import { Semaphore } from '../../gateway/runtime/semaphore.ts';
import { SnapshotStore } from '../../services/cameras/snapshot-store.ts';
import { createLogger } from '../../services/shared/logger.ts';
import { cpuPct, type Figure, fmtMB, fmtPct, procSample, RssWatch, track } from './harness.ts';

export const CAMERAS_DEFAULTS = {
  cameras: 500,
  hangingShare: 0.02,
  concurrency: 32,
  timeoutMs: 10_000,
  intervalSec: 60,
};

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
  const rss = new RssWatch(process.pid);
  const verdicts: Record<string, number> = {};
  try {
    console.log(
      `  ${o.cameras} cameras, ${Math.round(o.cameras * o.hangingShare)} hanging until ${o.timeoutMs} ms, concurrency ${o.concurrency}`,
    );
    const cpu0 = procSample(process.pid);
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
      { scenario: 'cameras', name: 'RSS peak', value: fmtMB(rss.reset()) },
      { scenario: 'cameras', name: 'verdicts', value: JSON.stringify(verdicts) },
    ];
    for (const f of figures) console.log(`  ${f.name}: ${f.value}${f.note ? ` (${f.note})` : ''}`);
    return { figures };
  } finally {
    rss.stop();
    store.close();
    farm.child.stdin?.end();
    farm.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) await benchCameras();
