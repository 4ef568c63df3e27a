/** Thin client for the same-origin JSON API (cookie session `cx_session`). Errors are `{ code, message, params? }`. */
import type {
  Account,
  AuditPage,
  AuditQuery,
  CameraCard,
  CameraHealth,
  CameraSnapshots,
  Commune,
  Device,
  DeviceDetail,
  GatewayHealth,
  HistoryInterval,
  IngestStats,
  MaintenanceInfo,
  MaintenancePlan,
  MaintenanceWindow,
  MapBase,
  OnvifDiscoveryRun,
  OutagesResponse,
  Params,
  PublicConfig,
  Reading,
  RejectEntry,
  SeriesRange,
  SeriesResponse,
  StatusSummary,
  User,
  WindowBody,
} from './types.ts';

/** `code` is an ERROR_CODES key from services/shared/errors.ts, or CX_NETWORK when the server was not reached. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly params: Params;
  readonly fields?: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    params: Params = {},
    fields?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.params = params;
    if (fields) this.fields = fields;
  }
}

let unauthenticated: (() => void) | null = null;

/** Called when a request made with a session gets 401 (the session expired or was revoked). */
export function onUnauthenticated(fn: () => void): void {
  unauthenticated = fn;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    console.warn('api: response is not JSON', err);
    return null;
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, 'CX_NETWORK', `${method} ${path}: ${String(err)}`);
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const data = text ? parseJson(text) : null;
  if (!res.ok) {
    const e = (data ?? {}) as {
      code?: string;
      message?: string;
      params?: Params;
      fields?: Record<string, string>;
    };
    const code = e.code ?? (res.status === 401 ? 'CX_UNAUTHENTICATED' : 'CX_INTERNAL');
    if (res.status === 401 && !path.startsWith('/api/auth/')) unauthenticated?.();
    throw new ApiError(
      res.status,
      code,
      e.message ?? `${method} ${path}: HTTP ${res.status}`,
      e.params,
      e.fields,
    );
  }
  return data as T;
}

function qs(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;

export const api = {
  login: (username: string, password: string) =>
    request<{ user: User }>('POST', '/api/auth/login', { username, password }),
  logout: () => request<void>('POST', '/api/auth/logout'),
  me: () => request<{ user: User }>('GET', '/api/auth/me'),
  publicConfig: () => request<PublicConfig>('GET', '/api/config/public'),
  communes: () => request<Commune[]>('GET', '/api/communes'),
  mapBase: () => request<MapBase>('GET', '/api/map/base'),
  devices: () => request<Device[]>('GET', '/api/devices'),
  device: (id: string) => request<DeviceDetail>('GET', `/api/devices/${enc(id)}`),
  history: (id: string, fromTs?: number, toTs?: number) =>
    request<HistoryInterval[]>('GET', `/api/devices/${enc(id)}/history${qs({ fromTs, toTs })}`),
  telemetry: (id: string, metric?: string, fromTs?: number, toTs?: number) =>
    request<Reading[]>('GET', `/api/devices/${enc(id)}/telemetry${qs({ metric, fromTs, toTs })}`),
  series: (id: string, metric: string, range: SeriesRange) =>
    request<SeriesResponse>('GET', `/api/devices/${enc(id)}/series${qs({ metric, range })}`),
  summary: () => request<StatusSummary>('GET', '/api/status/summary'),
  setMaintenance: (id: string, on: boolean) =>
    request<Device>('POST', `/api/devices/${enc(id)}/maintenance`, { on }),
  startMaintenance: (id: string, plan: { reason: string; untilTs: number; startTs?: number }) =>
    request<Device>('POST', `/api/devices/${enc(id)}/maintenance`, { on: true, ...plan }),
  maintenance: () =>
    request<{ now: Array<Device & { maintenance: MaintenanceInfo | null }>; planned: MaintenancePlan[] }>(
      'GET',
      '/api/maintenance',
    ),
  maintenanceWindows: () => request<MaintenanceWindow[]>('GET', '/api/maintenance/windows'),
  removeWindows: (ids: number[]) =>
    request<Array<{ id: number; result: string }>>('POST', '/api/maintenance/windows/remove', { ids }),
  createWindow: (body: WindowBody) => request<MaintenanceWindow>('POST', '/api/maintenance/windows', body),
  editWindow: (body: WindowBody & { id: number }) =>
    request<{ id: number; result: string; window?: MaintenanceWindow }>(
      'POST',
      '/api/maintenance/windows/edit',
      body,
    ),
  endWindows: (ids: number[]) =>
    request<Array<{ id: number; result: string }>>('POST', '/api/maintenance/windows/end', { ids }),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<{ user: User; sessionsEnded: number }>('POST', '/api/auth/password', {
      currentPassword,
      newPassword,
    }),
  users: () => request<Account[]>('GET', '/api/users'),
  resetPassword: (username: string) =>
    request<{ username: string; password: string }>('POST', `/api/users/${enc(username)}/password-reset`, {}),
  lockUser: (username: string, locked: boolean) =>
    request<Account>('POST', `/api/users/${enc(username)}/lock`, { locked }),
  rotateDeviceSecret: (id: string) =>
    request<{ deviceId: string; password: string; disconnected: boolean }>(
      'POST',
      `/api/devices/${enc(id)}/secret`,
      {},
    ),
  audit: (q: AuditQuery & { page: number; pageSize: number }) =>
    request<AuditPage>('GET', `/api/audit/entries${qs({ ...q })}`),
  /** A link, not a fetch: the browser downloads the CSV with the session cookie. */
  auditExportUrl: (q: AuditQuery, lang: string) => `/api/audit/export${qs({ ...q, lang })}`,
  ingestStats: () => request<IngestStats>('GET', '/api/ingest/stats'),
  outages: () => request<OutagesResponse>('GET', '/api/outages'),
  gateways: () => request<GatewayHealth[]>('GET', '/api/gateways'),
  ingestRejects: (limit = 50) => request<RejectEntry[]>('GET', `/api/ingest/rejects${qs({ limit })}`),
  broadcasts: (from?: number, to?: number) => request<unknown[]>('GET', `/api/broadcasts${qs({ from, to })}`),
  soilPlots: () => request<{ plots: unknown[] }>('GET', '/api/soil/plots'),
  /** A plot's moisture bounds over the commune file's, or `{ fromFile: true }` to go back to them. */
  setSoilThresholds: (
    site: string,
    body: { dryBelowPct: number; wetAbovePct: number | null } | { fromFile: true },
  ) => request<{ plot: unknown }>('PUT', `/api/soil/plots/${enc(site)}/thresholds`, body),
  cameras: () => request<CameraCard[]>('GET', '/api/cameras'),
  approveReference: (id: string) => request<unknown>('POST', `/api/cameras/${enc(id)}/reference`, {}),
  onvifDiscovery: () => request<OnvifDiscoveryRun>('GET', '/api/cameras/discovery'),
  cameraDrift: (id: string, range: SeriesRange) =>
    request<SeriesResponse>('GET', `/api/cameras/${enc(id)}/drift${qs({ range })}`),
  cameraSnapshots: (id: string) => request<CameraSnapshots>('GET', `/api/cameras/${enc(id)}/snapshots`),
  cameraHealth: () => request<CameraHealth>('GET', '/api/camera-health'),
  alerts: <T>(status: 'open' | 'history') => request<{ alerts: T[] }>('GET', `/api/alerts${qs({ status })}`),
  alertNotifiers: <T>() => request<{ notifiers: T[] }>('GET', '/api/alerts/notifiers'),
  alertAction: (action: 'acknowledge' | 'resolve', ids: number[], note: string) =>
    request<{ done: number[]; refused: number[] }>('POST', `/api/alerts/${action}`, { ids, note }),
  kpis: <T>(period?: string) => request<T[]>('GET', `/api/kpis${qs({ period })}`),
  kpiTrend: <T>() => request<T[]>('GET', '/api/kpis/trend'),
  kpiContractors: <T>(period?: string) => request<T[]>('GET', `/api/kpis/contractors${qs({ period })}`),
  /** An evidence link exactly as the API gave it (a same-origin /api/kpis/…/evidence path). */
  evidence: <T>(link: string) => request<T>('GET', link),
  reports: <T>() => request<T[]>('GET', '/api/reports'),
  verifyReport: <T>(communeId: string, period: string, format: string) =>
    request<T>('GET', `/api/reports/${enc(communeId)}/${enc(period)}/verify${qs({ format })}`),
  /** A link, not a fetch: the browser downloads the report with the session cookie. */
  reportUrl: (communeId: string, period: string, format: string) =>
    `/api/reports/${enc(communeId)}/${enc(period)}${qs({ format })}`,
};
