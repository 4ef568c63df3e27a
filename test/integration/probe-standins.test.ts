import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeStandIns } from '../../gateway/simulator/probe-standins.ts';
import { freeAt } from '../setup/app.ts';

/** A line with a latency threshold and a Wi-Fi AP behind it, on a loopback address of their own. */
async function network(): Promise<{ standIns: ProbeStandIns; line: string; ap: string }> {
  let host = '';
  for (let b = 2; b < 250 && !host; b++) if (await freeAt(`127.250.${b}.1`, 8080)) host = `127.250.${b}`;
  const line = `http://${host}.1:8080/status`;
  const ap = `http://${host}.2:8080/login`;
  const standIns = new ProbeStandIns({
    targets: [
      { deviceId: 'line', kind: 'http', timeoutMs: 4000, config: { url: line, latencyDegradedMs: 300 } },
      { deviceId: 'ap', kind: 'http', timeoutMs: 4000, config: { url: ap }, upstreamIds: ['line'] },
    ],
    speed: 1,
    flakyShare: 0,
    log: pino({ level: process.env.DEBUG_STANDINS ? 'debug' : 'silent' }),
  });
  await standIns.start();
  return { standIns, line, ap };
}

/** 'refused', or how long the page took (ms). */
function fetchPage(url: string): Promise<number | 'refused'> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    });
    req.on('error', () => resolve('refused'));
    req.end();
  });
}

let running: ProbeStandIns | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('demo stand-ins play the network, not only the devices', () => {
  it('cuts off a device behind a line that goes offline, and brings it back with the line', async () => {
    const { standIns, line, ap } = await network();
    running = standIns;
    expect(typeof (await fetchPage(ap))).toBe('number');
    await standIns.goOffline('line', { slow: false });
    expect(await fetchPage(line)).toBe('refused');
    expect(await fetchPage(ap)).toBe('refused');
    await standIns.comeBack('line');
    expect(typeof (await fetchPage(line))).toBe('number');
    expect(typeof (await fetchPage(ap))).toBe('number');
  });

  it('a slow line makes the devices behind it answer late too, still answering', async () => {
    const { standIns, ap } = await network();
    running = standIns;
    await standIns.goOffline('line', { slow: true });
    const took = await fetchPage(ap);
    expect(took).not.toBe('refused');
    expect(took as number).toBeGreaterThanOrEqual(550);
  });

  it('a device offline on its own does not take its line with it', async () => {
    const { standIns, line, ap } = await network();
    running = standIns;
    await standIns.goOffline('ap');
    expect(await fetchPage(ap)).toBe('refused');
    expect(typeof (await fetchPage(line))).toBe('number');
  });
});
