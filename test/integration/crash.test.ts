import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import {
  readDeviceSecrets,
  STREAMING_DEVICE_IDS,
  startServiceProcess,
  storedSeqKeys,
  writeServiceConfig,
} from '../setup/service-process.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cx-crash-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kill -9 of the service mid-stream', () => {
  it('loses nothing it acknowledged at QoS 1 and doubles nothing', async () => {
    const configFile = writeServiceConfig(dataDir, [
      'mqtt: { port: 0 }',
      'api: { port: 0 }',
      // The writer waits 10 s, so the kill lands while acknowledged messages are only in the spool.
      'ingest: { batchMaxDelayMs: 10000, batchMaxSize: 50000 }',
    ]);
    const first = await startServiceProcess(configFile);
    const secrets = readDeviceSecrets(dataDir);
    const ids = STREAMING_DEVICE_IDS;
    const acked: Array<[string, number]> = [];
    const base = Date.now() - 600_000;
    const streams = ids.map(async (id, k) => {
      const c = await mqtt.connectAsync(first.mqttUrl, {
        clientId: id,
        username: id,
        password: secrets.get(id)!,
        reconnectPeriod: 0,
      });
      c.on('error', () => {});
      // mqtt.js keeps an unacknowledged publish pending for a resend that never comes: race it with close.
      const closed = new Promise<never>((_, reject) => c.once('close', () => reject(new Error('closed'))));
      closed.catch(() => {});
      try {
        for (let i = 0; ; i++) {
          const ts = base + i * 100 + k;
          await Promise.race([
            c.publishAsync(
              `cx/v1/ta-lai/${id}/telemetry`,
              JSON.stringify({ v: 1, ts, metrics: { seqNo: i } }),
              { qos: 1 },
            ),
            closed,
          ]);
          acked.push([id, ts]);
        }
      } catch {
        // The broker died under us: what was acknowledged before is what must survive.
      } finally {
        c.end(true);
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await Promise.all(streams);
    expect(acked.length).toBeGreaterThan(200);

    // Restart on the same data folder: the spool is replayed into the store, then a clean stop.
    const second = await startServiceProcess(configFile);
    await new Promise((r) => setTimeout(r, 1500));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // The kill landed while acknowledged messages were still only in the spool.
    expect(second.output()).toMatch(/"rows":\d+,"msg":"replaying spool"/);

    const rows = storedSeqKeys(dataDir);
    const stored = new Set(rows);
    expect(stored.size).toBe(rows.length);
    const missing = acked.filter(([id, ts]) => !stored.has(`${id}@${ts}`));
    expect(missing).toEqual([]);
    // Anything beyond the acknowledged was spooled but its PUBACK died with the process.
    expect(rows.length - acked.length).toBeLessThanOrEqual(ids.length);
  }, 90_000);
});
