import { z } from 'zod';

/** `store:` for InfluxDB, spoken to through its v1 HTTP API (1.x, and 2.x/3.x through DBRP). */
export const InfluxStoreConfigSchema = z.strictObject({
  kind: z.literal('influxdb'),
  url: z.url(),
  /** v1 database name (1.x) or v2 bucket (2.x/3.x, via its DBRP mapping). */
  database: z.string().min(1),
  /** v2/v3 API token; for 1.x with auth, "user:password". Never logged or returned by the API. */
  token: z.string().optional(),
  org: z.string().optional(),
});

export const influxExampleConfig: z.output<typeof InfluxStoreConfigSchema> = {
  kind: 'influxdb',
  url: 'http://127.0.0.1:8086',
  database: 'canhxa',
};
