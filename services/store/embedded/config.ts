import { z } from 'zod';

/**
 * `store:` for the embedded SQLite store. It takes no settings: its files live in the service's
 * `dataDir` (readings.sqlite beside canhxa.sqlite).
 */
export const SqliteStoreConfigSchema = z.strictObject({ kind: z.literal('sqlite') });

export const sqliteExampleConfig: z.output<typeof SqliteStoreConfigSchema> = { kind: 'sqlite' };
