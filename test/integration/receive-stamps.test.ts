import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';

let app: TestApp | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
  await app?.stop();
  app = undefined;
});

async function readingsOf(a: TestApp, deviceId: string, metric: string): Promise<number> {
  return (await a.store.query({ deviceId, metric, fromTs: 0, toTs: Date.now() + 3_600_000 })).length;
}

async function api(a: TestApp, path: string) {
  const cookie = await login(a, 'kythuat.talai', a.userPasswords.get('kythuat.talai')!);
  const res = await fetch(`${a.apiUrl}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  return res.json();
}

/** Refusals for `reason` as the technician sees them in /api/ingest/stats. */
async function rejectCount(a: TestApp, reason: string): Promise<number> {
  const stats = (await api(a, '/api/ingest/stats')) as {
    rejectsByReason: Array<{ reason: string; count: number }>;
  };
  return stats.rejectsByReason.reduce((n, r) => (r.reason === reason ? n + r.count : n), 0);
}

/** Publishes `n` QoS 1 messages at once (no waiting between them); resolves with how many were acknowledged. */
async function burst(c: MqttClient, topic: string, payload: (i: number) => string, n: number) {
  const acks = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => c.publishAsync(topic, payload(i), { qos: 1 })),
  );
  return acks.filter((a) => a.status === 'fulfilled').length;
}

describe('messages without their own ts', () => {
  it('are all kept when 20 devices send 1,000 each as fast as they can: no two share a key', async () => {
    app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }' });
    const a = app;
    const ids = [...a.directory.all()]
      .filter((d) => d.communeId === 'ta-lai')
      .slice(0, 20)
      .map((d) => d.id);
    expect(ids).toHaveLength(20);
    const conns = await Promise.all(ids.map((id) => connectDevice(a, id)));
    clients.push(...conns);
    const acked = await Promise.all(
      conns.map((c, k) =>
        burst(
          c,
          `cx/v1/ta-lai/${ids[k]}/telemetry`,
          (i) => `{"v":1,"metrics":{"clientCount":${i % 7}}}`,
          1000,
        ),
      ),
    );
    await a.ingest.flush();
    const ackedAll = acked.reduce((n, x) => n + x, 0);
    expect(ackedAll).toBe(20_000);
    let stored = 0;
    for (const id of ids) stored += await readingsOf(a, id, 'clientCount');
    const refused = await rejectCount(a, 'too-fast-without-ts');
    // Every acknowledged message is a reading, or refused with its reason, counted and kept.
    expect(stored + refused).toBe(ackedAll);
    const stats = await api(a, '/api/ingest/stats');
    expect(stats.receiveStamped).toBe(stored);
    // Many shared a receive millisecond with an earlier message of their device.
    expect(stats.receiveStampsMoved).toBeGreaterThan(0);
  }, 120_000);

  it('keeps every event and heartbeat too, whose keys are (device, ts, type) and (device, metric, ts)', async () => {
    app = await startTestApp({ extra: 'ingest: { batchMaxDelayMs: 20 }' });
    const a = app;
    const id = 'tl-wifi-ubnd';
    const c = await connectDevice(a, id);
    clients.push(c);
    const [events, beats] = await Promise.all([
      burst(c, `cx/v1/ta-lai/${id}/event`, () => '{"v":1,"type":"door-open"}', 300),
      burst(c, `cx/v1/ta-lai/${id}/heartbeat`, (i) => `{"v":1,"seq":${i}}`, 300),
    ]);
    await a.ingest.flush();
    const storedEvents = a.db
      .prepare("SELECT COUNT(*) FROM device_events WHERE device_id = ? AND type = 'door-open'")
      .pluck()
      .get(id) as number;
    expect(storedEvents).toBe(events);
    expect(await readingsOf(a, id, 'heartbeat')).toBe(beats);
  }, 60_000);

  it('from a device sending over 1,000 a second are refused past the bound, counted and logged, never overwritten', async () => {
    // A stopped receive clock: every message of the burst arrives "in the same millisecond", as
    // from a device sending far over one a millisecond.
    const t0 = Date.now();
    app = await startTestApp({
      extra: 'ingest: { batchMaxDelayMs: 20 }',
      clock: () => t0,
      limits: { rejectsPer10s: 1_000_000 },
    });
    const a = app;
    const id = 'tl-wifi-ubnd';
    const c = await connectDevice(a, id);
    clients.push(c);
    const acked = await burst(
      c,
      `cx/v1/ta-lai/${id}/telemetry`,
      (i) => `{"v":1,"metrics":{"clientCount":${i}}}`,
      1100,
    );
    await a.ingest.flush();
    expect(acked).toBe(1100);
    // Stamps t0 … t0 + 1000: the next would run more than 1,000 ms ahead of the clock.
    expect(await readingsOf(a, id, 'clientCount')).toBe(1001);
    expect(await rejectCount(a, 'too-fast-without-ts')).toBe(99);
    const logged = ((await api(a, '/api/ingest/rejects?limit=500')) as Array<{ reason: string }>).filter(
      (r) => r.reason === 'too-fast-without-ts',
    );
    expect(logged.length).toBeGreaterThan(0);
    expect(logged[0]).toMatchObject({ deviceId: id, topic: `cx/v1/ta-lai/${id}/telemetry` });
  }, 60_000);
});
