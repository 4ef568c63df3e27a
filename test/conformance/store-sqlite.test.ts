import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { storeConformance } from './store.suite.ts';

storeConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cx-store-'));
  return {
    store: new SqliteStore({ file: join(dir, 'readings.sqlite') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
