import { z } from 'zod';
import { TlsSchema } from '../../gateway/runtime/tls.ts';
import { SqliteStoreConfigSchema } from '../../services/store/embedded/config.ts';
import { InfluxStoreConfigSchema } from '../../services/store/influxdb/config.ts';
import { AlertsConfigSchema } from './alerts.ts';
import { RetentionDays } from './common.ts';
import { ProvinceUserSchema } from './commune.ts';
import { IocConfigSchema } from './ioc.ts';

const Port = z.number().int().min(0).max(65_535);

/**
 * `store:`, one option per store kind. Each option is that store's own `configSchema`
 * (services/store/registry.ts), so the adapter's settings are checked here, at load.
 */
export const StoreConfigSchema = z.discriminatedUnion('kind', [
  SqliteStoreConfigSchema,
  InfluxStoreConfigSchema,
]);

export const ServiceConfigSchema = z.strictObject({
  /** Where the SQLite file, spool and generated credentials live. */
  dataDir: z.string().default('./data'),
  /** Folder of commune files (one YAML per commune), relative to this file. */
  communesDir: z.string().default('./communes'),
  defaultLocale: z.enum(['vi', 'en']).default('vi'),
  mqtt: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: Port.default(1883),
      /** Our limit, below MQTT's 256 MB: a heartbeat is a few hundred bytes. */
      maxPayloadBytes: z.number().int().min(256).max(1_048_576).default(16_384),
      /**
       * Per-client rate limits (services/broker/client-budget.ts). Past one, the client is
       * disconnected and its CONNECTs answered 0x03 for a cool-down: firstCoolDownSec, doubled on
       * each repeat, at most 10 minutes.
       */
      limits: z
        .strictObject({
          /** Refused messages (ACL, size, JSON, schema) per client id per 10 s. */
          rejectsPer10s: z.number().int().min(1).max(1_000_000).default(20),
          /** CONNECTs naming one device per 10 s (the device itself and guesses counted apart). */
          connectsPer10s: z.number().int().min(1).max(1_000_000).default(10),
          /** Refused CONNECTs per remote address per 10 s; accepted ones are free (a commune shares one NAT). */
          connectsPerAddressPer10s: z.number().int().min(1).max(1_000_000).default(60),
          firstCoolDownSec: z.number().int().min(1).max(600).default(10),
        })
        .prefault({}),
    })
    .prefault({}),
  api: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: Port.default(8080),
      /** Set true behind HTTPS so the session cookie is never sent in clear. */
      cookieSecure: z.boolean().default(false),
      sessionTtlHours: z.number().min(1).max(720).default(12),
      /** Login attempts per 15 minutes per address and user name before refusal. */
      loginAttemptsPer15Min: z.number().int().min(1).max(1000).default(10),
    })
    .prefault({}),
  store: StoreConfigSchema.default({ kind: 'sqlite' }),
  /**
   * How long time series are kept, in days; a commune file may override any of the three. State
   * intervals (uptime KPI evidence) are never pruned.
   */
  retention: z
    .strictObject({
      /** Raw readings, as received. */
      rawDays: RetentionDays.default(30),
      /** 1-minute rollups (min, max, mean, count). */
      minuteDays: RetentionDays.default(400),
      /** 1-hour rollups. */
      hourDays: RetentionDays.default(3650),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Messages per store write; large batches amortise SQLite's commit and page writes. */
      batchMaxSize: z.number().int().min(1).max(50_000).default(2000),
      /** Longest wait before a partial batch is written: bounds publish→stored latency. */
      batchMaxDelayMs: z.number().int().min(1).max(10_000).default(5),
      /**
       * While the SQLite store keeps up, readings go straight to it and the PUBACK waits for that
       * commit (a batch gathers for at most 2 ms), instead of a spool row committed first: about 40 %
       * less CPU per message. false: every message is spooled first.
       */
      directWrites: z.boolean().default(true),
      /** Rejected messages kept for inspection (oldest are pruned; counters are kept for ever). */
      rejectsKept: z.number().int().min(100).max(1_000_000).default(10_000),
      /**
       * Where device messages come from: the embedded aedes broker (default, one process), or an
       * external MQTT v5 broker cluster shared by several ingest workers (a province).
       */
      source: z.enum(['embedded', 'external']).default('embedded'),
      external: z
        .strictObject({
          url: z.string().regex(/^mqtts?:\/\//, 'must be an mqtt:// or mqtts:// URL'),
          username: z.string().optional(),
          /** Never logged or returned by the API. */
          password: z.string().optional(),
          /** For mqtts:// to a broker whose certificate a private CA signed; paths relative to this file. */
          tls: TlsSchema.optional(),
          /** Each commune is one shard, held by one worker at a time through a lease. */
          clientIdPrefix: z
            .string()
            .regex(/^[a-zA-Z0-9_-]{1,40}$/)
            .default('canhxa-ingest'),
          leaseTtlMs: z.number().int().min(1000).max(300_000).default(10_000),
          /**
           * How long the broker keeps a shard's session, queueing its messages, while no worker
           * holds it (MQTT 5 Session Expiry Interval). Longer than any outage of every worker.
           */
          sessionExpirySec: z.number().int().min(60).max(4_294_967_295).default(604_800),
        })
        .optional(),
    })
    .refine((i) => i.source !== 'external' || i.external !== undefined, {
      message: 'source "external" needs an `external:` section with the broker url',
      path: ['external'],
    })
    .prefault({}),
  spool: z
    .strictObject({
      /** The on-disk spool of accepted messages not yet in the store; past this it alarms and refuses to grow. */
      maxBytes: z.number().int().min(1_048_576).default(1_073_741_824),
      /** Fill level (percent) at which an alarm is raised, before the spool is full. */
      alarmPct: z.number().min(1).max(99).default(80),
      /**
       * How long a message arriving at an idle spool waits for others to share its commit (ms).
       * Fewer commits cost less CPU at a province's rate; each waits this much longer for its PUBACK.
       */
      gatherMs: z.number().int().min(0).max(50).default(2),
    })
    .prefault({}),
  availability: z
    .strictObject({
      /** How often late heartbeats are looked for. */
      checkIntervalMs: z.number().int().min(50).max(60_000).default(1000),
      /** How often the service notes that it is alive, so a crash is bounded in the intervals. */
      aliveIntervalMs: z.number().int().min(100).max(60_000).default(5000),
    })
    .prefault({}),
  map: z
    .strictObject({
      /**
       * Base-map tile server ({z}/{x}/{y}), fetched by the service and cached in the data folder,
       * never by the browser; null for none (the map then shows hamlet outlines and roads only).
       */
      tileUrl: z
        .string()
        .regex(
          /^https?:\/\/.*\{z\}.*\{x\}.*\{y\}/,
          'must be an http(s) URL template with {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png',
        )
        .nullable()
        .default('https://tile.openstreetmap.org/{z}/{x}/{y}.png'),
      /** Shown on the map, as the tile server's licence asks. */
      attribution: z.string().default('© OpenStreetMap contributors'),
      /** A cached tile is fetched again after this many days (when the tile server answers). */
      tileCacheDays: z.number().int().min(1).max(3650).default(30),
      maxZoom: z.number().int().min(1).max(19).default(19),
    })
    .prefault({}),
  simulator: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Speed-up for the demo: 1 is real time. */
      speed: z.number().min(0.01).max(1000).default(1),
      /** Share of devices that go offline now and then (0–1). */
      flakyShare: z.number().min(0).max(1).default(0.15),
    })
    .prefault({}),
  /**
   * How the demo starts (only with the simulator on): a past and a few devices in trouble, so
   * every state and page has something to show at once (issue #17).
   */
  demo: z
    .strictObject({
      /** Hours of back-filled intervals and readings, written at the first start of an empty data folder; 0: none. */
      historyHours: z
        .number()
        .int()
        .min(0)
        .max(24 * 30)
        .default(0),
      /** A camera offline, a line down, another slow, a loudspeaker silent, from the start for 30 min / speed. */
      troubleAtStart: z.boolean().default(false),
    })
    .prefault({}),
  /**
   * The probe runtime (gateway/runtime/) for the devices with a `probe` in their commune file: by
   * default inside the service, one MQTT client of the embedded broker per commune with its own
   * gateway identity (`<commune>-probe`). `embedded: false` when a box at a hamlet runs
   * `npm run gateway` instead.
   */
  gateway: z
    .strictObject({
      embedded: z.boolean().default(true),
      /** Probe runs at once per commune. */
      concurrency: z.number().int().min(1).max(1024).default(32),
      jitterPct: z.number().min(0).max(50).default(10),
      /**
       * A verdict is re-sent this often even when unchanged: it is a probed device's sign of life,
       * so a probed device's liveness window is made to outlast it (config/probe-targets.ts). A
       * gateway box (`npm run gateway`) must not use a longer one.
       */
      statusRefreshSec: z.number().int().min(10).max(3600).default(60),
      /**
       * The built-in gateway's own heartbeat, with its health figures (GET /api/gateways); its
       * device type gives a heartbeat 60 s + 60 s grace.
       */
      heartbeatSec: z.number().int().min(5).max(60).default(30),
    })
    .prefault({}),
  /** Province users (Sở / IOC tỉnh): they see every commune's rollup, never a camera. Commune users live in commune files. */
  users: z.array(ProvinceUserSchema).default([]),
  /** The provincial monitoring centre feed (API keys, signed webhooks): docs/ioc.md. */
  ioc: IocConfigSchema.prefault({}),
  /** Alert lifecycle timings and notifiers (Telegram, e-mail, webhook): services/alerts, services/notify. */
  alerts: AlertsConfigSchema.prefault({}),
});

export type ServiceConfig = z.output<typeof ServiceConfigSchema>;
export type StoreConfig = z.output<typeof StoreConfigSchema>;
export type RetentionConfig = ServiceConfig['retention'];
