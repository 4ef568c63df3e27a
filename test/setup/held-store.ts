import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import type { Store } from '../../services/store/store.ts';
import { startTestApp, type TestApp } from './app.ts';

/**
 * Holds every write of a real store until the returned release is called: the store is then far
 * behind on purpose, so an overload test meets the pushback's marks without a flood that depends
 * on the machine's speed.
 */
export function holdStoreWrites(store: Store): () => void {
  let release: () => void = () => {};
  const latch = new Promise<void>((r) => {
    release = r;
  });
  const write = store.write.bind(store);
  store.write = async (readings) => {
    await latch;
    return write(readings);
  };
  return release;
}

/**
 * For an overload test file: the real service with small store batches (`batch` messages; the
 * gate holds at 8 batches behind, QoS 0 is refused and QoS 1 parked from 16) and its store's writes
 * held until `release()`. Started before the file's tests; released, its clients ended and stopped
 * after them.
 */
export function heldStoreApp(batch: number) {
  let app: TestApp | undefined;
  let release: () => void = () => {};
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    app = await startTestApp({ extra: `ingest: { batchMaxSize: ${batch}, batchMaxDelayMs: 5 }` });
    release = holdStoreWrites(app.store);
  }, 90_000);
  afterAll(async () => {
    release();
    for (const c of clients) c.end(true);
    await app?.stop();
  });
  return {
    get app(): TestApp {
      if (!app) throw new Error('heldStoreApp: the service has not started (beforeAll failed?)');
      return app;
    },
    clients,
    release: () => release(),
    /** How many of a device's `seq` readings with ts in [fromTs, fromTs + n) the store holds. */
    async storedSeqs(deviceId: string, fromTs: number, n: number): Promise<number> {
      const rows = await this.app.store.query({
        deviceId,
        metric: 'seq',
        fromTs,
        toTs: fromTs + n,
        limit: n + 1,
      });
      return rows.length;
    },
  };
}
