import type { RouteSpec } from '../route.ts';
import { alertRoutes } from './alerts.ts';
import { authRoutes } from './auth.ts';
import { broadcastRoutes } from './broadcasts.ts';
import { deviceRoutes } from './devices.ts';
import { iocRoutes } from './ioc.ts';
import { operationsRoutes } from './operations.ts';
import { outagesRoutes } from './outages.ts';
import { overviewRoutes } from './overview.ts';
import { readModelRoutes } from './read-model.ts';
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
  ...alertRoutes,
];
