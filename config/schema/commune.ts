import { z } from 'zod';
import { CommuneAlertsSchema, ContactSchema } from './alerts.ts';
import { GeoLine, GeoPoint, GeoPolygon, Id, IsoDate, RetentionDays, Text } from './common.ts';
import { ContractorSchema } from './contractors.ts';
import { KpiSectionSchema, KpiTargetSchema } from './kpi.ts';
import { QuietHoursSchema } from './quiet-windows.ts';

export { KpiTargetSchema };

export const SITE_KINDS = [
  'ubnd',
  'cultural-house',
  'school',
  'health-station',
  'key-point',
  'farm',
  'police-post',
  'other',
] as const;
/**
 * Every role. The first five belong to one commune (their users are listed in its file); `province`
 * (Sở / IOC tỉnh) sees every commune of the deployment, never a camera, and its users are listed
 * in the service file (`users:`), see config/schema/service.ts.
 */
export const ROLES = ['police', 'economics', 'technician', 'leader', 'admin', 'province'] as const;
export type Role = (typeof ROLES)[number];
export const COMMUNE_ROLES = [
  'police',
  'economics',
  'technician',
  'leader',
  'admin',
] as const satisfies readonly Role[];

export const HamletSchema = z.strictObject({
  id: Id,
  name: Text,
  center: GeoPoint.optional(),
  /** Residents, for the population share of coverage KPIs (hamlets without it are listed apart). */
  population: z.number().int().min(0).optional(),
  /** Rough outline for the map (offline it is the background): a GeoJSON Polygon, [lon, lat] pairs. */
  boundary: GeoPolygon.optional(),
});

/** A road drawn on the offline map (from OpenStreetMap or the commune's own survey). */
export const RoadSchema = z.strictObject({
  name: Text.optional(),
  /** Drawn wider for a provincial or national road. */
  major: z.boolean().default(false),
  geometry: GeoLine,
});

export const SiteSchema = z.strictObject({
  id: Id,
  name: Text,
  kind: z.enum(SITE_KINDS),
  hamlet: Id,
  location: GeoPoint,
  /** The device id of the internet line this site hangs off; devices here are unreachable when it is down. */
  uplink: Id.optional(),
  address: Text.optional(),
});

export const LivenessSchema = z.strictObject({
  heartbeatIntervalSec: z.number().int().min(1).max(86_400),
  graceSec: z.number().int().min(0).max(86_400),
});

/**
 * How the service's probe runtime watches a device that speaks no MQTT (gateway/probes/). `config`
 * is checked against the probe kind's own configSchema at load (config/probe-targets.ts); a
 * secret in it is never written in clear but named: `communityRef: snmp-ta-lai`, resolved from the
 * data folder's probe-secrets.json or CANHXA_SECRET_SNMP_TA_LAI.
 */
export const DeviceProbeSchema = z.strictObject({
  /** A probe kind of gateway/probes/registry.ts: icmp, tcp, http, dns, snmp, play-status, onvif. */
  kind: z.string(),
  /** Between runs. Short intervals (down to 1 s) are for tests and a demo. */
  intervalSec: z.number().int().min(1).max(86_400).default(60),
  /** Longest a run may take; must be shorter than the interval. */
  timeoutMs: z.number().int().min(100).max(120_000).default(5000),
  /** Further attempts, at once, when a run's result is down or unknown. */
  retries: z.number().int().min(0).max(5).default(1),
  /** Results in a row that must agree before the device's verdict changes: one lost packet is no outage. */
  confirmations: z.number().int().min(1).max(10).default(3),
  config: z.record(z.string(), z.unknown()),
});

export const DeviceSchema = z.strictObject({
  id: Id,
  /** A device type kind from services/device-types/registry.ts (checked after parsing). */
  type: z.string(),
  name: Text,
  site: Id,
  vendor: Text.optional(),
  model: Text.optional(),
  installedAt: IsoDate,
  /** Uptime counts from this date; defaults to installedAt. */
  commissionedAt: IsoDate.optional(),
  /** Taken out of service on this date (00:00 Vietnam time): uptime stops counting it from then. */
  retiredAt: IsoDate.optional(),
  contractor: Text.optional(),
  /** The line of the commune plan that paid for this device, quoted so reports can trace money to uptime. */
  budgetLine: Text.optional(),
  /**
   * Adapters or gateways (devices of this commune) that may publish for this device: their status
   * verdicts set its state; what they send about it is evidence, not its own sign of life.
   */
  reportedBy: z.array(Id).min(1).optional(),
  /**
   * What this device needs to be reachable (uplink, LoRa gateway, power), replacing the default,
   * its site's uplink. With several it is unreachable only when all of them are down.
   */
  dependsOn: z.array(Id).min(1).optional(),
  /**
   * Deprecated alias kept so older commune files load: one device that both reports for this one
   * and is its only dependency (`reportedBy: [x]` and `dependsOn: [x]`). Use the two fields.
   */
  behind: Id.optional(),
  /** Overrides the device type's heartbeat interval and grace. */
  liveness: LivenessSchema.optional(),
  /** LoRaWAN DevEUI (16 hex digits), unique in the deployment: how uplinks find this device. */
  devEui: z
    .string({
      // YAML reads 24e1241000000103 as a number (24 × 10^1241…): a DevEUI must be quoted.
      error: (iss) =>
        iss.input === undefined ? undefined : 'a DevEUI is text: put it in quotes, e.g. "24e1241000000103"',
    })
    .regex(/^[0-9a-fA-F]{16}$/, 'a DevEUI is 16 hex digits (the label on the sensor)')
    .transform((s) => s.toLowerCase())
    .optional(),
  /** Payload codec of a LoRaWAN sensor (gateway/lorawan/codecs/registry.ts), checked after parsing. */
  sensorModel: z.string().optional(),
  /** Overrides the sensor model's uplink interval (seconds), when the sensor was configured otherwise. */
  uplinkIntervalSec: z.number().int().min(60).max(86_400).optional(),
  /** Down after this many missed uplink intervals (default: the model's). */
  missedUplinks: z.number().int().min(1).max(100).optional(),
  /** The same moisture reading for this long means a broken sensor (default 12 h). */
  frozenAfterHours: z.number().min(0.1).max(720).optional(),
  /**
   * A network server account (a LoRa gateway with a built-in one, or ChirpStack): the ChirpStack
   * application ids it may publish events for, under application/{id}/# in the embedded broker.
   */
  applicationIds: z
    .array(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an application id (a UUID in ChirpStack v4)'),
    )
    .min(1)
    .optional(),
  /** Extra text shown to technicians (pole number, access notes). */
  notes: Text.optional(),
  /** Settings of the device's type, checked against that type's `configSchema` at load. */
  settings: z.record(z.string(), z.unknown()).optional(),
  /** Watched from outside by the probe runtime (for devices that speak no MQTT). */
  probe: DeviceProbeSchema.optional(),
});

const Username = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{2,63}$/, 'must be 3–64 lower-case letters, digits, dots, dashes');
/** scrypt hash made by `npm run hash-password`; when absent a one-time password is generated at first start. */
const PasswordHash = z
  .string()
  .regex(
    /^scrypt\$/,
    'must be a hash made by "npm run hash-password" (starts with "scrypt$"), never a plain password',
  );

export const UserSchema = z.strictObject({
  username: Username,
  name: Text,
  role: z.enum(COMMUNE_ROLES, {
    error: (iss) =>
      iss.input === 'province'
        ? 'a province user sees every commune, so it is listed in the service file (users:), not in a commune file'
        : undefined,
  }),
  passwordHash: PasswordHash.optional(),
  /** How alerts reach this user (services/notify/). */
  contact: ContactSchema.optional(),
  /**
   * The contractor this user works for (a device's `contractor`, spelt alike), for alert routing
   * by contractor (`alerts.notify[].deviceContractor`, `contractors`); absent for commune staff.
   */
  contractor: Text.optional(),
  /** Language of the alerts sent to this user. */
  locale: z.enum(['vi', 'en']).default('vi'),
  /** This user's quiet hours, instead of the commune's (alerts.quietHours). */
  quietHours: QuietHoursSchema.optional(),
  /**
   * A technician who looks after the cameras (issue #12): sees their health (state, reason, since
   * when), never an image, a stream or a position. Technicians only (config/load.ts).
   */
  cameraMaintainer: z.boolean().default(false),
});

/** A province user (Sở / IOC tỉnh): listed in the service file, sees the rollup of every commune. */
export const ProvinceUserSchema = z.strictObject({
  username: Username,
  name: Text,
  role: z.literal('province'),
  passwordHash: PasswordHash.optional(),
});

/** Overrides the service's `retention` for this commune's time series; absent keys keep the service value. */
export const RetentionOverrideSchema = z.strictObject({
  rawDays: RetentionDays.optional(),
  minuteDays: RetentionDays.optional(),
  hourDays: RetentionDays.optional(),
});

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A scheduled broadcast (bản tin) of the commune's loudspeakers, e.g. the 06:00 morning bulletin.
 * Times are Asia/Ho_Chi_Minh wall clock (UTC+7, no DST). Each hamlet with loudspeakers is judged
 * per occurrence (services/broadcasts/): played, or missed and why.
 */
export const BroadcastSchema = z.strictObject({
  id: Id,
  name: Text,
  at: z
    .string()
    .regex(
      /^([01]\d|2[0-3]):[0-5]\d$/,
      'must be a 24-hour time HH:MM in Vietnam time (e.g. "06:00"); quote it',
    ),
  /** `daily`, or the weekdays it airs on. */
  days: z
    .preprocess(
      // `daily` reads as every weekday, so what follows sees one shape.
      (v) => (v === 'daily' || v === undefined ? [...WEEKDAYS] : v),
      z
        .array(z.enum(WEEKDAYS), { error: 'must be daily or a list of days, e.g. [mon, wed, fri]' })
        .min(1, 'name at least one day, or write daily'),
    )
    .optional()
    .transform((d) => d ?? [...WEEKDAYS]),
  /** How long it plays. */
  durationMin: z.number().int().min(1).max(600).default(30),
  /** A speaker's confirmation counts when it comes within this many minutes of the start. */
  confirmWithinMin: z.number().int().min(1).max(600).default(15),
});

const MoisturePct = z.number().min(0).max(100);

/**
 * A crop of the farm pilot and the soil moisture (volumetric, %) it wants: below `dryBelowPct` a
 * plot of it is too dry (irrigate), above `wetAbovePct` too wet (root rot). Set by the economics
 * office with the agricultural extension officer; a plot may override either bound.
 */
export const CropSchema = z.strictObject({
  id: Id,
  name: Text,
  dryBelowPct: MoisturePct,
  wetAbovePct: MoisturePct.optional(),
});

/** A pilot plot: a farm site, its crop, and bounds of its own where its soil differs (checked at load). */
export const PlotSchema = z.strictObject({
  /** A site of kind farm; its soil sensors are the plot's. */
  site: Id,
  /** A crop id of `crops`. */
  crop: Id,
  dryBelowPct: MoisturePct.optional(),
  wetAbovePct: MoisturePct.optional(),
  /**
   * The farm household of the pilot: personal data, shown to the economics office alone (not to
   * admins, leaders, technicians or the province, and never in an alert message).
   */
  household: z
    .strictObject({
      name: Text,
      phone: z
        .string()
        .regex(/^\+?\d{9,15}$/, 'a phone number in digits, e.g. "0912345678"')
        .optional(),
    })
    .optional(),
});

export const CommuneFileSchema = z.strictObject({
  commune: z.strictObject({
    id: Id,
    name: Text,
    province: Text,
    center: GeoPoint,
    plan: z.strictObject({ title: Text, source: Text.optional() }).optional(),
  }),
  hamlets: z.array(HamletSchema).min(1, 'a commune needs at least one hamlet (ấp)'),
  sites: z.array(SiteSchema),
  devices: z.array(DeviceSchema),
  users: z.array(UserSchema).default([]),
  kpiTargets: z.array(KpiTargetSchema).default([]),
  kpi: KpiSectionSchema.optional(),
  retention: RetentionOverrideSchema.optional(),
  /** Scheduled bulletins of the loudspeakers; none by default. */
  broadcasts: z.array(BroadcastSchema).default([]),
  /** Crops of the farm pilot and their soil-moisture bounds; none by default. */
  crops: z.array(CropSchema).default([]),
  /** Farm sites with their crop: the economics office's plots. */
  plots: z.array(PlotSchema).default([]),
  /** Roads for the offline map, as GeoJSON lines; none by default. */
  roads: z.array(RoadSchema).default([]),
  /** Alert rules and who is told (issue #14); no rules by default. */
  alerts: CommuneAlertsSchema.prefault({}),
  /** Suppliers with their budget lines and contractual uptime (issue #16); none by default. */
  contractors: z.array(ContractorSchema).default([]),
});

export type CommuneFile = z.output<typeof CommuneFileSchema>;
export type DeviceConfig = CommuneFile['devices'][number];
export type SiteConfig = CommuneFile['sites'][number];
export type HamletConfig = CommuneFile['hamlets'][number];
export type UserConfig = CommuneFile['users'][number];
export type BroadcastConfig = CommuneFile['broadcasts'][number];
export type CropConfig = CommuneFile['crops'][number];
export type PlotConfig = CommuneFile['plots'][number];
