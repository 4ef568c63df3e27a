import { afterAll, beforeAll } from 'vitest';
import { InfluxStore } from '../../services/store/influxdb/influx-store.ts';
import { dropDatabase, type RunningInfluxd, startInfluxd } from '../setup/influxd.ts';
import { storeConformance } from './store.suite.ts';

let server: RunningInfluxd;
let n = 0;
beforeAll(async () => {
  server = await startInfluxd();
});
afterAll(async () => server?.stop());

storeConformance('influxdb', async () => {
  const database = `conformance_${++n}`;
  return {
    store: new InfluxStore({ url: server.url, database }),
    cleanup: () => dropDatabase(server.url, database),
  };
});
