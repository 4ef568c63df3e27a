/**
 * A CPU profile of the service process under the QoS 1 closed-loop load of e2e.ts, or at a fixed
 * rate (`npm run bench -- --only profile --profile-rate 2000`: a province's peak, where fixed costs
 * per turn and per batch show instead of the saturated path). Node 20 refuses
 * --cpu-prof in NODE_OPTIONS and startServiceProcess takes only the environment, so the probe
 * preload (service-probe.mjs) runs the same V8 profiler through the inspector: SIGUSR2 starts it
 * after the warm-up, a second SIGUSR2 writes the .cpuprofile, which is then summarised.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { summariseCpuProfile } from './cpuprofile-summary.ts';
import { E2E_DEFAULTS, phaseLines } from './e2e.ts';
import {
  benchDevices,
  connectAll,
  type Figure,
  fmtInt,
  type Generator,
  runServicePhase,
  sleep,
  startBenchService,
  startGenerators,
  writeBenchService,
} from './harness.ts';

export interface ProfileOptions {
  readonly devices: number;
  readonly generators: number;
  readonly window: number;
  readonly measureMs: number;
  /** QoS 1 messages per second over all generators; 0: closed loop (`window` in flight). */
  readonly ratePerSec: number;
  /** Where to keep the .cpuprofile (e.g. to open it in Chrome DevTools); default: the temp dir, removed. */
  readonly keepAs?: string;
}

export async function benchProfile(
  opts: Partial<ProfileOptions> = {},
): Promise<{ figures: Figure[]; lines: string[] }> {
  const o = {
    devices: E2E_DEFAULTS.devices,
    generators: E2E_DEFAULTS.generators,
    window: E2E_DEFAULTS.window,
    measureMs: 10_000,
    ratePerSec: 0,
    ...opts,
  };
  const svcFiles = writeBenchService(o.devices);
  const profileFile = join(svcFiles.dir, 'service.cpuprofile');
  const service = await startBenchService(svcFiles, { cpuProfileFile: profileFile });
  let gens: Generator[] = [];
  try {
    gens = await startGenerators(o.generators);
    await connectAll(gens, service.mqttUrl, benchDevices(svcFiles));
    const spoolFile = join(svcFiles.dataDir, 'spool', 'spool.sqlite');
    // The profile covers exactly the measured window: started after the warm-up, stopped at its end.
    const warmupMs = 2000;
    setTimeout(() => service.proc.child.kill('SIGUSR2'), 300 + warmupMs);
    setTimeout(() => service.proc.child.kill('SIGUSR2'), 300 + warmupMs + o.measureMs);
    const phase = await runServicePhase(
      service,
      spoolFile,
      gens,
      { qos: 1, window: o.window, ratePerSec: o.ratePerSec, warmupMs, measureMs: o.measureMs },
      0,
    );
    for (const l of phaseLines(
      o.ratePerSec > 0
        ? `QoS 1, fixed ${fmtInt(o.ratePerSec)} msg/s, profiler on`
        : `QoS 1, closed loop (${o.window} in flight per connection), profiler on`,
      phase,
      1,
    ))
      console.log(l);
    const deadline = Date.now() + 20_000;
    while (!existsSync(profileFile) && Date.now() < deadline) await sleep(200);
    if (!existsSync(profileFile)) throw new Error('the service wrote no CPU profile');
    if (o.keepAs) copyFileSync(profileFile, o.keepAs);
    const summary = summariseCpuProfile(profileFile, 30);
    for (const l of summary.lines) console.log(l);
    if (o.keepAs) console.log(`  profile kept as ${o.keepAs}`);
    return {
      figures: [
        {
          scenario: 'profile',
          name: `QoS 1 stored msg/s with the profiler on${o.ratePerSec > 0 ? ` (offered ${fmtInt(o.ratePerSec)})` : ''}`,
          value: fmtInt(phase.stored.storedPerSec),
        },
      ],
      lines: summary.lines,
    };
  } finally {
    await Promise.all(gens.map((g) => g.close()));
    await service.stop();
    svcFiles.remove();
  }
}
