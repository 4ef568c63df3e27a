import type { RejectRow } from '../../services/ingest/reject-log.ts';

/** Shapes of the JSON the API returns (see services/api). Timestamps are epoch ms UTC. */

export const STATES = ['up', 'degraded', 'down', 'unreachable', 'maintenance', 'unknown'] as const;
export type DeviceState = (typeof STATES)[number];

export type Role = 'police' | 'economics' | 'technician' | 'leader' | 'admin' | 'province';

export type Params = Record<string, string | number | boolean | null | undefined>;

export interface User {
  username: string;
  name: string;
  role: Role;
  /** null for a province user: every commune of the deployment. */
  communeId: string | null;
  /** Signed in with a generated or reset password: only the change form is shown until changed. */
  mustChange?: boolean;
}

/** An account as admins see it (GET /api/users); never a password or hash. */
export interface Account extends User {
  mustChange: boolean;
  lockedTs: number | null;
  lockedBy: string | null;
  passwordChangedTs: number | null;
}

/** Who put a device in maintenance, why and until when. */
export interface MaintenanceInfo {
  setBy: string | null;
  setTs: number;
  reason: string | null;
  untilTs: number | null;
}

/** A maintenance window as GET /api/maintenance/windows gives it (times in epoch ms). */
export interface MaintenanceWindow {
  id: number;
  fromConfig: boolean;
  scope: { kind: 'device' | 'site' | 'hamlet'; id: string; name: string };
  reason: string;
  schedule:
    | { kind: 'once'; startTs: number; untilTs: number }
    | { kind: 'daily'; at: string; durationMin: number }
    | { kind: 'weekly'; days: string[]; at: string; durationMin: number };
  createdBy: string;
  active: { startTs: number; untilTs: number } | null;
  next: { startTs: number; untilTs: number } | null;
  devices: Array<{ id: string; name: string; type: string }>;
  removable: boolean;
  /** Not over and the caller may change it (never the commune file's). */
  editable: boolean;
  /** An occurrence holds now and the caller may end it early. */
  endable: boolean;
}

/** What POST /api/maintenance/windows (and …/edit, with the id) takes. */
export interface WindowBody {
  scope: { kind: 'device' | 'site' | 'hamlet'; id: string };
  reason: string;
  schedule: MaintenanceWindow['schedule'];
}

export interface MaintenancePlan {
  id: number;
  deviceId: string;
  name: string;
  type: string;
  startTs: number;
  untilTs: number;
  reason: string;
  setBy: string;
  setTs: number;
}

export interface AuditEntry {
  id: number;
  ts: number;
  username: string;
  role: Role;
  action: string;
  target: string;
  communeId: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  total: number;
  page: number;
  pageSize: number;
  actions: string[];
  usernames: string[];
}

export interface AuditQuery {
  user?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface PublicConfig {
  defaultLocale: string;
  map: { tiles?: boolean; attribution?: string };
}

export interface GeoPoint {
  lat: number;
  lon: number;
}

/** GeoJSON geometries from the commune file: positions are [longitude, latitude]. */
export interface GeoPolygon {
  type: 'Polygon';
  coordinates: [number, number][][];
}

export interface GeoLine {
  type: 'LineString' | 'MultiLineString';
  coordinates: [number, number][] | [number, number][][];
}

export interface Hamlet {
  id: string;
  name: string;
  center?: GeoPoint;
  boundary?: GeoPolygon;
}

export interface Road {
  name?: string;
  major: boolean;
  geometry: GeoLine;
}

export interface MapBase {
  tiles: boolean;
  reachable: boolean;
  attribution: string;
  maxZoom: number;
}

export interface Site {
  id: string;
  name: string;
  kind: string;
  hamlet: string;
  location: GeoPoint;
  uplink?: string;
  /** The hamlet's centre given instead of the site's own position (a camera this role may not see is there). */
  approximate?: boolean;
}

export interface Commune {
  id: string;
  name: string;
  province: string;
  center: GeoPoint;
  hamlets: Hamlet[];
  roads?: Road[];
  sites: Site[];
}

export interface Device {
  id: string;
  communeId: string;
  type: string;
  typeLabel: { vi: string; en: string };
  name: string;
  siteId: string;
  siteName: string;
  hamletId: string;
  hamletName: string;
  location: GeoPoint;
  vendor?: string | null;
  model?: string | null;
  /** ISO date (2026-03-15) or epoch ms. */
  installedAt: string | number;
  commissionedAt?: string | number | null;
  contractor?: string | null;
  budgetLine?: string | null;
  /** Pole number, access notes: shown to technicians. */
  notes?: string | null;
  upstreamId?: string | null;
  state: DeviceState;
  reason: string;
  params: Params;
  /** Null until the availability engine has judged the device. */
  sinceTs: number | null;
  lastHeardTs: number | null;
  lastHeartbeatTs: number | null;
}

export type ReadingValue = number | string | boolean | null;

export interface Reading {
  metric: string;
  ts: number;
  value: ReadingValue;
}

/** GET /api/devices/:id/series: one metric per bucket (min–max band, mean line). */
export type SeriesRange = '24h' | '7d' | '30d' | '120d';
export interface SeriesResponse {
  metric: string | null;
  resolution: '1m' | '1h';
  points: Array<{ ts: number; min: number; max: number; mean: number; count: number }>;
}

export interface DeviceDetail extends Device {
  /** Who put it in maintenance, why and until when; null when not in maintenance. */
  maintenance?: MaintenanceInfo | null;
  lastHeartbeat: Record<string, unknown> | null;
  latest: Reading[];
}

export interface HistoryInterval {
  state: DeviceState;
  reason: string;
  params: Params;
  startTs: number;
  endTs: number | null;
}

export interface IngestStats {
  /** When the server process started: accepted, rejected, batches and broker counts are since then. */
  sinceTs?: number;
  accepted: number;
  rejected: number;
  batches: number;
  /** QoS 0 messages refused while the store was far behind (overload pushback). */
  overloadRefusedQos0?: number;
  /** QoS 1 messages waiting unacknowledged right now for the store to catch up. */
  parkedQos1?: number;
  /** The user's share (their commune, the devices their role may see): refused is rejectsByReason's sum. */
  visible?: { communeId: string | null; accepted: number; refused: number };
  rejectsByReason: {
    source: string;
    reason: string;
    deviceId: string | null;
    count: number;
    lastTs: number;
  }[];
  /** Messages accepted per device since the start, for the devices the user may see. */
  acceptedByDevice?: Record<string, number>;
  /** Store writer health. Counters beyond the contract's `pending` are shown when the server sends them. */
  store: {
    kind: string;
    ok: boolean;
    pending?: number;
    inMemory?: number;
    written?: number;
    quarantined?: number;
    replayed?: number;
    heldAcks?: number;
    holdingAcks?: number;
    peakBacklog?: number;
    lastWriteTs: number | null;
    lastError: string | null;
  };
  /** The durable spool between broker and store, when the server reports it. */
  spool?: { ok: boolean; depth: number; fillPct: number; alarm: boolean; lastError: string | null };
  broker: {
    clientsConnected: number;
    connectsAccepted: number;
    refused: Record<string, number>;
    publishesAccepted: number;
  };
}

/** A row of /api/ingest/rejects: the server's own type, so the two cannot drift apart. */
export type RejectEntry = RejectRow;

/** `state` event on /api/stream. */
export interface StateEvent {
  deviceId: string;
  communeId: string;
  state: DeviceState;
  reason: string;
  params: Params;
  sinceTs: number;
  lastHeardTs: number | null;
}

/** `heard` event on /api/stream: batched last-heard times (an array; a single object is accepted too). */
export interface HeardEvent {
  deviceId: string;
  communeId?: string;
  ts: number;
}

export type StateCounts = Record<DeviceState, number>;

/**
 * GET /api/status/summary: leaders and admins get every type of their commune counted, cameras
 * included (counts only); a province user every commune, cameras never.
 */
export interface StatusSummary {
  communes: {
    communeId: string;
    name: string;
    province?: string;
    counts: StateCounts;
    byType: Record<string, StateCounts>;
  }[];
  /** All the communes above together. */
  rollup?: { counts: StateCounts; byType: Record<string, StateCounts> };
}

/** A device as GET /api/outages lists it. */
export type OutageBrief = Pick<
  Device,
  | 'id'
  | 'name'
  | 'type'
  | 'typeLabel'
  | 'state'
  | 'reason'
  | 'params'
  | 'sinceTs'
  | 'hamletName'
  | 'siteName'
  | 'siteId'
>;
/** One root cause and the devices behind it (services/outages/group.ts). */
export interface OutageGroup {
  causeId: string;
  cause: OutageBrief | null;
  state: Device['state'];
  sinceTs: number | null;
  behind: OutageBrief[];
}
/** One probe gateway as GET /api/gateways lists it (services/api/routes/gateways.ts). */
export interface GatewayHealth {
  id: string;
  communeId: string;
  name: string;
  embedded: boolean;
  state: Device['state'];
  reason: string;
  params: Record<string, string | number>;
  sinceTs: number | null;
  lastSeenTs: number | null;
  probedDevices: number;
  health: {
    reportedTs: number;
    targets: number;
    runs: number | null;
    lagP50Ms: number | null;
    lagP99Ms: number | null;
    buffered: number | null;
    dropped: number | null;
    errorsByReason: Record<string, number>;
  } | null;
}
/** GET /api/outages (technician, admin). */
export interface OutagesResponse {
  outages: OutageGroup[];
  uplinks: OutageBrief[];
  wifiAps: OutageBrief[];
  loudspeakers: OutageBrief[];
}

/** A camera as GET /api/cameras lists it (police only). */
/** GET /api/cameras/:id/snapshots: what the camera's history page shows of its images (police). */
export interface CameraSnapshots {
  deviceId: string;
  reference: { sha256: string; approvedBy: string; approvedTs: number } | null;
  snapshots: Array<{
    sha256: string;
    takenTs: number;
    luminance: number;
    contrast: number;
    sharpness: number;
  }>;
}

/** GET /api/camera-health: rows for the police and camera maintainers, counts alone for leaders. */
export interface CameraHealth {
  cameras: Array<{
    id: string;
    name: string;
    state: DeviceState;
    reason: string;
    params: Params;
    sinceTs: number | null;
  }> | null;
  counts: Array<{ communeId: string; total: number; byState: Record<DeviceState, number> }>;
}

export interface CameraCard {
  id: string;
  name: string;
  hamletId: string;
  state: DeviceState;
  reason: string;
  params: Params;
  sinceTs: number | null;
  snapshot: { sha256: string; takenTs: number } | null;
  reference: { sha256: string; approvedBy: string; approvedTs: number } | null;
}

/** GET /api/cameras/discovery (police, admin): ONVIF devices on the LAN the inventory lacks. */
export interface OnvifDiscoveryRun {
  ranTs: number;
  timeoutMs: number;
  malformedAnswers: number;
  error: string | null;
  devices: Array<{
    endpoint: string;
    xaddrs: string[];
    host: string;
    port: number;
    name: string | null;
    hardware: string | null;
  }>;
}
