import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../services/shared/errors.ts';
import { InfluxStore } from '../../services/store/influxdb/influx-store.ts';
import type { Reading } from '../../services/store/store.ts';
import { type RunningInfluxd, startInfluxd } from '../setup/influxd.ts';

const T0 = Date.UTC(2025, 5, 1);
const reading = (deviceId: string, dt = 0, value = 1): Reading => ({
  communeId: 'xa-an-binh',
  deviceId,
  metric: 'latencyMs',
  ts: T0 + dt,
  value,
});

describe('InfluxStore against a real influxd, when things go wrong', () => {
  let server: RunningInfluxd;
  beforeAll(async () => {
    server = await startInfluxd();
  });
  afterAll(async () => server?.stop());

  it('a field type conflict rejects with StoreError carrying HTTP 400 and the body', async () => {
    const store = new InfluxStore({ url: server.url, database: 'conflict' });
    await store.start();
    // Someone else wrote `value` as a string into the same shard first.
    const raw = await fetch(`${server.url}/write?db=conflict&precision=ms`, {
      method: 'POST',
      body: `reading,commune=xa-an-binh,device=cam-00,metric=latencyMs value="broken" ${T0}`,
    });
    expect(raw.status).toBe(204);

    const err = await store.write([reading('cam-01', 1000)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    const e = err as StoreError;
    expect(e.upstreamStatus).toBe(400);
    expect(e.upstreamBody).toMatch(/field type conflict/);
    expect(e.message).toMatch(/HTTP 400 .*field type conflict/);
    await store.close();
  });

  it('a stalled server (SIGSTOP) makes write and query reject within the timeout, not hang', async () => {
    const store = new InfluxStore({ url: server.url, database: 'stall' }, { timeoutMs: 300 });
    await store.start();
    await store.write([reading('cam-01')]);
    process.kill(server.pid, 'SIGSTOP');
    // The signal is asynchronous: go on only once the kernel shows the process stopped ('T').
    while (!/^\d+ \(.*\) T /.test(readFileSync(`/proc/${server.pid}/stat`, 'utf8')))
      await new Promise((r) => setTimeout(r, 5));
    try {
      const t0 = Date.now();
      await expect(store.write([reading('cam-01', 1)])).rejects.toBeInstanceOf(StoreError);
      await expect(store.query({ fromTs: T0, toTs: T0 + 10 })).rejects.toBeInstanceOf(StoreError);
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    // The server comes back; the caller's retry of the same batch is harmless (idempotent).
    await store.write([reading('cam-01', 1)]);
    expect(await store.query({ fromTs: T0, toTs: T0 + 10 })).toHaveLength(2);
    await store.close();
  });

  it('start rejects with StoreError when nothing listens at the url', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const addr = s.address();
        s.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 1));
      });
    });
    const store = new InfluxStore({ url: `http://127.0.0.1:${port}`, database: 'x' }, { timeoutMs: 1000 });
    await expect(store.start()).rejects.toBeInstanceOf(StoreError);
  });

  it('a reading line protocol cannot carry is refused before anything of the batch is sent', async () => {
    const store = new InfluxStore({ url: server.url, database: 'refuse' });
    await store.start();
    const err = await store.write([reading('cam-01'), reading('cam-ends-in\\', 1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/reading\[1\] deviceId .* ends with a backslash/);
    await expect(store.write([{ ...reading('cam-01'), value: Number.NaN }])).rejects.toBeInstanceOf(
      StoreError,
    );
    expect(await store.query({ fromTs: T0, toTs: T0 + 10 })).toEqual([]);
    await store.close();
  });
});
