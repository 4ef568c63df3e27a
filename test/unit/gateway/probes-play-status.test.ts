/**
 * The play-status probe against a real loudspeaker-controller status page on loopback: what it
 * played becomes one `broadcast-played` event at the controller's own start time, read once; a
 * page that answers but cannot be read is degraded with the reason, never a silent `up`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playStatus, toTs } from '../../../gateway/probes/play-status.ts';
import { PLAYED_EVENT } from '../../../services/protocol/events.ts';
import { type Closable, httpServer } from '../../standins/probe-targets.ts';

let page: { status: number; body: string } = { status: 200, body: '{}' };
let server: Closable;
let url = '';
beforeAll(async () => {
  server = await httpServer((_q, res) => res.writeHead(page.status).end(page.body));
  url = `http://127.0.0.1:${server.port}/api/status`;
});
afterAll(async () => {
  await server?.close();
});

/** One target config (the runtime passes the same object every run: the probe remembers on it). */
const target = (more: object = {}) => playStatus.configSchema.parse({ url, ...more });
const run = (config: ReturnType<typeof target>) => playStatus.probe(config, AbortSignal.timeout(5000));

describe('play-status probe', () => {
  it('turns the last played item into one broadcast-played event at its start time, once', async () => {
    const startedTs = Date.now() - 5 * 60_000;
    page = {
      status: 200,
      body: JSON.stringify({
        state: 'idle',
        lastPlayed: { id: 'Ban tin sang', startedAt: startedTs, dur: 900 },
      }),
    };
    const config = target({
      json: { item: 'lastPlayed.id', startedAt: 'lastPlayed.startedAt', durationSec: 'lastPlayed.dur' },
      items: { 'Ban tin sang': 'sang' },
    });
    const first = await run(config);
    expect(first.verdict).toBe('up');
    expect(first.metrics.lastPlayedAgoMin).toBe(5);
    expect(first.events).toEqual([
      {
        type: PLAYED_EVENT,
        severity: 'info',
        ts: startedTs,
        detail: { item: 'Ban tin sang', broadcastId: 'sang', startedTs, durationSec: 900 },
      },
    ]);
    // The same play read again is not a second confirmation.
    expect((await run(config)).events).toBeUndefined();
    // The next bulletin is; an item not in `items` is confirmed without a broadcast id.
    page = {
      status: 200,
      body: JSON.stringify({ lastPlayed: { id: 'Nhạc', startedAt: startedTs + 60_000 } }),
    };
    expect((await run(config)).events?.[0]?.detail).toEqual({ item: 'Nhạc', startedTs: startedTs + 60_000 });
  });

  it('reads a text page with named groups, a local time taken at +07:00', async () => {
    page = { status: 200, body: '<p>Đã phát: Bản tin chiều lúc 2026-12-01 17:00:04</p>' };
    const r = await run(target({ textPattern: 'Đã phát: (?<item>.+?) lúc (?<startedAt>[\\d-]+ [\\d:]+)' }));
    expect(r.verdict).toBe('up');
    expect(r.events?.[0]).toMatchObject({
      ts: Date.parse('2026-12-01T10:00:04Z'),
      detail: { item: 'Bản tin chiều' },
    });
  });

  it('is up without an event while nothing has played yet', async () => {
    page = { status: 200, body: JSON.stringify({ state: 'idle', lastPlayed: null }) };
    const r = await run(target());
    expect(r).toMatchObject({ verdict: 'up', reason: { code: 'ok' } });
    expect(r.events).toBeUndefined();
  });

  it('is degraded / play-status-unreadable for garbage, a bad time or a page that does not match', async () => {
    page = { status: 200, body: '<html>not json</html>' };
    expect((await run(target())).reason).toEqual({
      code: 'play-status-unreadable',
      params: { detail: 'not JSON' },
    });
    page = {
      status: 200,
      body: JSON.stringify({ lastPlayed: { id: 'sang', startedAt: '1970-01-01 00:00' } }),
    };
    expect(await run(target())).toMatchObject({
      verdict: 'degraded',
      reason: { params: { detail: 'lastPlayed.startedAt is not a time' } },
    });
    page = { status: 200, body: 'IDLE' };
    expect((await run(target({ textPattern: 'played (?<item>\\w+) at (?<startedAt>\\S+)' }))).verdict).toBe(
      'degraded',
    );
  });

  it('is down / http-status when the controller answers with an error', async () => {
    page = { status: 503, body: 'busy' };
    expect((await run(target())).reason).toEqual({
      code: 'http-status',
      params: { status: 503, expected: '200' },
    });
  });

  it('reads epoch seconds, epoch ms, ISO with an offset and local times', () => {
    const ts = Date.parse('2026-12-01T23:00:00Z');
    expect(toTs(ts / 1000, '+07:00')).toBe(ts);
    expect(toTs(ts, '+07:00')).toBe(ts);
    expect(toTs('2026-12-02T06:00:00+07:00', '+07:00')).toBe(ts);
    expect(toTs('2026-12-02 06:00', '+07:00')).toBe(ts);
    expect(toTs('hôm nay', '+07:00')).toBeNull();
    expect(toTs(0, '+07:00')).toBeNull();
  });
});
