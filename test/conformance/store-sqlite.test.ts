import { openDb } from '../../services/store/db.ts';
import { SqliteStore } from '../../services/store/embedded/sqlite-store.ts';
import { storeConformance } from './store.suite.ts';

storeConformance('sqlite', async () => {
  const db = openDb(':memory:');
  return { store: new SqliteStore(db), cleanup: async () => void db.close() };
});
