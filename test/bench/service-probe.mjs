// Bench-only preload for the service process (NODE_OPTIONS="--import <this file>"), in plain JS
// because NODE_OPTIONS imports run before `--import tsx` registers the TypeScript loader. Node 20
// refuses --cpu-prof in NODE_OPTIONS, so the CPU profile is taken through the inspector instead
// (the same V8 sampling profiler, the same .cpuprofile format).
//
//   CANHXA_BENCH_PROBE_FILE    appends "D <durableTs> <latencyMs,...> <direct|spool>" per batch the
//                              store confirmed (latency = now − the message's `ts`, which the load
//                              generator sets to its publish time; direct: written without a spool
//                              row), "E <ts> <eluActiveMs> <eluIdleMs>" every 250 ms,
//                              "L <ts> <loopDelayMaxMs>" (the longest event-loop delay since the
//                              last line: a turn that held every message behind it), and
//                              "G <ts> <gcPauseMaxMs> <gcPauseSumMs>" (main-thread collections since).
//   CANHXA_BENCH_CPU_PROFILE   a file: the first SIGUSR2 starts the profiler, the second writes it.
//   SIGWINCH (always)          runs a full garbage collection, so an RSS sample taken after it is
//                              of live memory, not of the garbage a burst (a connect storm) left;
//                              with a probe file, appends "M <ts> <heapUsedBytes>" after it.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

// NODE_OPTIONS imports also run in the module-loader worker: only the main thread is the service.
if (isMainThread) {
  // --expose-gc is not allowed in NODE_OPTIONS on Node 20; set at run time, a new context sees gc().
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  process.on('SIGWINCH', () => {
    gc();
    const probe = process.env.CANHXA_BENCH_PROBE_FILE;
    if (probe) appendFileSync(probe, `M ${Date.now()} ${process.memoryUsage().heapUsed}\n`);
  });
  const probeFile = process.env.CANHXA_BENCH_PROBE_FILE;
  const profileFile = process.env.CANHXA_BENCH_CPU_PROFILE;
  if (probeFile) {
    let pending = [];
    subscribe('canhxa:ingest:durable', (msg) => {
      const now = Date.now();
      const lat = [];
      for (const w of msg.work) {
        const r = w.readings[0];
        if (r) lat.push(now - r.ts);
      }
      if (lat.length > 0) pending.push(`D ${now} ${lat.join(',')} ${msg.direct ? 'direct' : 'spool'}\n`);
      // Also from here, not only from the timer: under a flood one event-loop turn can last
      // seconds, and timers wait for the next turn.
      if (now - lastFlush >= 250) flush();
    });
    let lastFlush = Date.now();
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    // Garbage-collection pauses of the main thread (V8's own timings): the longest and their sum.
    let gcMax = 0;
    let gcSum = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gcSum += e.duration;
        if (e.duration > gcMax) gcMax = e.duration;
      }
    }).observe({ entryTypes: ['gc'] });
    const flush = () => {
      lastFlush = Date.now();
      const elu = performance.eventLoopUtilization();
      pending.push(`E ${lastFlush} ${elu.active.toFixed(1)} ${elu.idle.toFixed(1)}\n`);
      pending.push(`L ${lastFlush} ${(loopDelay.max / 1e6).toFixed(1)}\n`);
      pending.push(`G ${lastFlush} ${gcMax.toFixed(1)} ${gcSum.toFixed(1)}\n`);
      gcMax = 0;
      gcSum = 0;
      loopDelay.reset();
      appendFileSync(probeFile, pending.join(''));
      pending = [];
    };
    setInterval(flush, 250).unref();
    process.on('exit', flush);
  }
  if (profileFile) {
    const session = new Session();
    session.connect();
    let running = false;
    process.on('SIGUSR2', () => {
      if (!running) {
        running = true;
        session.post('Profiler.enable', () =>
          session.post('Profiler.setSamplingInterval', { interval: 1000 }, () =>
            session.post('Profiler.start'),
          ),
        );
        return;
      }
      running = false;
      session.post('Profiler.stop', (err, res) => {
        const tmp = `${profileFile}.tmp`;
        writeFileSync(tmp, err ? JSON.stringify({ error: String(err) }) : JSON.stringify(res.profile));
        renameSync(tmp, profileFile);
      });
    });
  }
}
