import { request } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { playStatus } from '../../gateway/probes/play-status.ts';
import type { PlayedEvent } from '../../gateway/simulator/bulletins.ts';
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

  it("a controller's page shows the plays it uploads at start in time order, each until the probe has read it", async () => {
    let host = '';
    for (let b = 2; b < 250 && !host; b++) if (await freeAt(`127.251.${b}.1`, 8080)) host = `127.251.${b}.1`;
    const url = `http://${host}:8080/api/status`;
    const standIns = new ProbeStandIns({
      targets: [{ deviceId: 'loa', kind: 'play-status', timeoutMs: 4000, config: { url } }],
      speed: 1,
      flakyShare: 0,
      log: pino({ level: 'silent' }),
    });
    await standIns.start();
    running = standIns;
    const played = (broadcastId: string, startedTs: number): PlayedEvent => ({
      v: 1,
      ts: startedTs,
      type: 'broadcast-played',
      severity: 'info',
      detail: { broadcastId, startedTs, durationSec: 1800 },
    });
    // Started at 17:03 on 02/12/2026: the morning bulletin and the one airing now, reported at once
    // in schedule order (the later one first would do the same).
    const sang = Date.parse('2026-12-02T06:00:05+07:00');
    const chieu = Date.parse('2026-12-02T17:00:05+07:00');
    expect(standIns.played('loa', played('chieu', chieu))).toBe(true);
    expect(standIns.played('loa', played('sang', sang))).toBe(true);
    const target = playStatus.configSchema.parse({ url });
    const read = async () =>
      (await playStatus.probe(target, AbortSignal.timeout(4000))).events?.map((e) => e.detail.item) ?? [];
    expect(await read()).toEqual(['sang']);
    expect(await read()).toEqual(['chieu']);
    expect(await read()).toEqual([]);
    // An upload older than what was read stays off the page (a page shows the latest play).
    standIns.played('loa', played('sang', sang));
    expect(await read()).toEqual([]);
  });
});
