import type { RouteSpec } from '../route.ts';
import { accountRoutes } from './accounts.ts';
import { alertRoutes } from './alerts.ts';
import { auditRoutes } from './audit-log.ts';
import { authRoutes } from './auth.ts';
import { broadcastRoutes } from './broadcasts.ts';
import { cameraViewRoutes } from './camera-views.ts';
import { cameraRoutes } from './cameras.ts';
import { deviceRoutes, maintenanceListRoute } from './devices.ts';
import { gatewayRoutes } from './gateways.ts';
import { iocRoutes } from './ioc.ts';
import { kpiEvidenceRoutes } from './kpi-evidence.ts';
import { kpiTrendRoutes } from './kpi-trend.ts';
import { maintenanceWindowRoutes } from './maintenance-windows.ts';
import { mapRoutes } from './map.ts';
import { operationsRoutes } from './operations.ts';
import { outagesRoutes } from './outages.ts';
import { overviewRoutes } from './overview.ts';
import { readModelRoutes } from './read-model.ts';
import { reportRoutes } from './reports.ts';
import { soilRoutes } from './soil.ts';
import { streamRoutes } from './stream.ts';

/** Every API route, once. The app, the OpenAPI document and the role test all read this list. */
export const ROUTES: readonly RouteSpec[] = [
  ...authRoutes,
  ...overviewRoutes,
  ...deviceRoutes,
  ...operationsRoutes,
  ...streamRoutes,
  ...iocRoutes,
  ...readModelRoutes,
  ...broadcastRoutes,
  ...outagesRoutes,
  ...soilRoutes,
  ...gatewayRoutes,
  ...mapRoutes,
  ...accountRoutes,
  ...auditRoutes,
  maintenanceListRoute,
  ...maintenanceWindowRoutes,
  ...cameraRoutes,
  ...cameraViewRoutes,
  ...reportRoutes,
  ...kpiEvidenceRoutes,
  ...kpiTrendRoutes,
  ...alertRoutes,
];
