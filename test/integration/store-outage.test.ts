import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEmbeddedGateway } from '../../config/probe-targets.ts';
import { connectDevice, login, startTestApp, type TestApp } from '../setup/app.ts';
import { type RunningInfluxd, startInfluxd } from '../setup/influxd.ts';

/**
 * Fault test with real processes: 50 devices stream at QoS 1 while InfluxDB is frozen (SIGSTOP),
 * then killed (-9), then restarted. Every message the broker acknowledged must end up in InfluxDB,
 * exactly once by key.
 */
let influx: RunningInfluxd;
let app: TestApp;
const clients: MqttClient[] = [];

beforeAll(async () => {
  influx = await startInfluxd();
  app = await startTestApp({
    extra: [
      'store:',
      '  kind: influxdb',
      `  url: ${influx.url}`,
      '  database: canhxa_outage',
      'ingest: { batchMaxDelayMs: 20 }',
    ].join('\n'),
  });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.stop();
  await influx?.stop();
});

async function until(ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('store outage', () => {
  it('keeps every acknowledged message through SIGSTOP and kill -9 of InfluxDB', async () => {
    // Not the built-in probe gateways (<commune>-probe): the service itself is connected as them.
    const devices = [...app.directory.all()].filter((d) => !isEmbeddedGateway(d)).slice(0, 50);
    expect(devices).toHaveLength(50);
    for (const d of devices) {
      const c = mqtt.connect(app.mqttUrl, {
        clientId: d.id,
        username: d.id,
        password: app.devicePasswords.get(d.id)!,
        reconnectPeriod: 0,
      });
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      clients.push(c);
    }
    const acked = new Map<string, number[]>(devices.map((d) => [d.id, []]));
    const base = Date.now() - 3_600_000;
    let running = true;
    const streams = devices.map(async (d, k) => {
      for (let i = 0; running; i++) {
        const ts = base + i * 1000 + k;
        await clients[k]!.publishAsync(
          `cx/v1/${d.communeId}/${d.id}/telemetry`,
          JSON.stringify({ v: 1, ts, metrics: { seqNo: i } }),
          { qos: 1 },
        );
        acked.get(d.id)!.push(ts);
        await new Promise((r) => setTimeout(r, 25));
      }
    });
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(influx.pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 2000));
    await influx.crash();
    await new Promise((r) => setTimeout(r, 1500));
    const duringOutage = app.ingest.stats();
    expect(duringOutage.spool.depth).toBeGreaterThan(0);
    await influx.restart();
    await new Promise((r) => setTimeout(r, 1000));
    running = false;
    await Promise.all(streams);
    await until(() => app.ingest.stats().spool.depth === 0, 60_000);

    const total = [...acked.values()].reduce((n, a) => n + a.length, 0);
    expect(total).toBeGreaterThan(50 * 50);
    const stored = await app.store.query({
      metric: 'seqNo',
      fromTs: base,
      toTs: base + 3_600_000,
      limit: 1_000_000,
    });
    const keys = new Set(stored.map((r) => `${r.deviceId}@${r.ts}`));
    expect(keys.size).toBe(stored.length);
    for (const [id, tss] of acked)
      for (const ts of tss) expect(keys.has(`${id}@${ts}`), `${id}@${ts}`).toBe(true);
    expect(stored.length).toBe(total);
  }, 120_000);

  it('quarantines the readings InfluxDB refuses (field type conflict) and writes the rest of the batch', async () => {
    // InfluxDB 1.x fixes a field's type per shard (a week here): make 2020's first week hold strings.
    const oldTs = Date.parse('2020-01-02T00:00:00Z');
    const res = await fetch(`${influx.url}/write?db=canhxa_outage&precision=ms`, {
      method: 'POST',
      body: `reading,commune=ta-lai,device=tl-loa-05,metric=volumePct value="loud" ${oldTs - 1000}`,
    });
    expect(res.status).toBe(204);
    const id = 'tl-loa-05';
    const c = await connectDevice(app, id);
    const now = Date.now();
    for (const [ts, v] of [
      [now - 2000, 40],
      [oldTs, 41],
      [now - 1000, 42],
    ] as const)
      await c.publishAsync(
        `cx/v1/ta-lai/${id}/telemetry`,
        JSON.stringify({ v: 1, ts, metrics: { volumePct: v } }),
        { qos: 1 },
      );
    await c.endAsync();
    await until(
      () => app.ingest.stats().spool.depth === 0 && app.ingest.stats().store.quarantined > 0,
      20_000,
    );
    const stored = await app.store.query({
      deviceId: id,
      metric: 'volumePct',
      fromTs: now - 10_000,
      toTs: now,
    });
    expect(stored.map((r) => r.value)).toEqual([40, 42]);
    const quarantined = app.ingest.stats().store.quarantined;
    expect(quarantined).toBe(1);
    const cookie = await login(app, 'kythuat.talai', app.userPasswords.get('kythuat.talai')!);
    const rejects = await (
      await fetch(`${app.apiUrl}/api/ingest/rejects?limit=10`, { headers: { cookie } })
    ).json();
    expect(rejects.find((r: { source: string }) => r.source === 'store')).toMatchObject({
      deviceId: id,
      reason: 'store-refused',
      detail: expect.stringContaining('field type conflict'),
    });
  }, 60_000);
});
