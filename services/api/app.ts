import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { ApiKey } from '../auth/api-keys.ts';
import { CxError } from '../shared/errors.ts';
import { localeFrom, t } from '../shared/i18n/index.ts';
import { maskName } from '../shared/mask.ts';
import { DASHBOARD_DIST } from './dashboard-build.ts';
import type { ApiDeps } from './deps.ts';
import { openApiDocument } from './openapi.ts';
import {
  allows,
  type DeviceAccess,
  isApiKeyAccess,
  isDeviceAccess,
  keyAllows,
  type RouteSpec,
} from './route.ts';
import { SESSION_COOKIE } from './routes/auth.ts';
import { ROUTES } from './routes/registry.ts';

/** The largest JSON body the API reads; larger ones answer 413 with this limit. */
const BODY_LIMIT_BYTES = 32 * 1024;

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header?.split(';') ?? []) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** zod issues → { "path.to.field": i18n key } so the dashboard can show a message beside the field. */
function fieldErrors(issues: ReadonlyArray<{ path: PropertyKey[]; code: string }>): Record<string, string> {
  return Object.fromEntries(
    issues.map((i) => [i.path.map(String).join('.') || '(body)', `validation.${i.code}`]),
  );
}

/**
 * The API key of an `apiKeyScope` route (`Authorization: Bearer cxk_…`): 401 when absent, unknown
 * or revoked; 403 when it lacks the route's scope. A session without a key gets undefined here and
 * the role check refuses it (403): the IOC feed is for keys, not people.
 */
function checkApiKey(deps: ApiDeps, spec: RouteSpec, req: Request, user: unknown): ApiKey | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (bearer === undefined && user) return undefined;
  const key = bearer === undefined ? undefined : deps.apiKeys.verify(bearer);
  if (!key) {
    req.res?.setHeader('WWW-Authenticate', 'Bearer realm="canhxa-ioc"');
    throw new CxError(
      'CX_UNAUTHENTICATED',
      bearer === undefined ? 'no API key' : 'unknown or revoked API key',
    );
  }
  if (!keyAllows(spec.access, key)) {
    deps.log.info({ apiKeyId: key.id, scopes: key.scopes, path: spec.path }, 'access refused');
    throw new CxError('CX_FORBIDDEN', `API key ${key.id} lacks the scope of ${spec.method} ${spec.path}`);
  }
  return key;
}

/**
 * The device of a `deviceCredential` route (HTTP Basic: device id and its MQTT password, checked
 * as the broker checks a CONNECT): 401 when absent or wrong, each refusal of a claimed identity
 * recorded in the reject log like a refused CONNECT. A session without Basic gets undefined here
 * and the role check refuses it (403): these routes are for devices, not people.
 */
async function checkDevice(
  deps: ApiDeps,
  access: DeviceAccess,
  req: Request,
  user: unknown,
): Promise<string | undefined> {
  const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (basic === undefined && user) return undefined;
  const refuse = (detail: string): never => {
    req.res?.setHeader(
      'WWW-Authenticate',
      `Basic realm="canhxa-${access.deviceCredential}", charset="UTF-8"`,
    );
    throw new CxError('CX_UNAUTHENTICATED', detail);
  };
  if (basic === undefined) return refuse('no device credential');
  const text = Buffer.from(basic, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  const id = (colon > 0 ? text.slice(0, colon) : text).slice(0, 64);
  const password = colon > 0 ? text.slice(colon + 1) : '';
  const device = deps.directory.get(id);
  const detail = `${req.method} ${req.path}`;
  // Guessing a gateway's password over HTTP is stopped like a person's login (the broker has its
  // own budget for CONNECTs).
  const ip = req.ip ?? 'unknown';
  const wait = deps.deviceThrottle?.retryAfterMinutes(ip, id) ?? 0;
  if (wait > 0)
    throw new CxError('CX_TOO_MANY_LOGINS', 'device credential throttled', { params: { minutes: wait } });
  if (!device || device.type.kind !== access.deviceCredential) {
    deps.deviceThrottle?.fail(ip, id);
    // A password typed into the name field must not be kept: an unknown name is masked.
    deps.rejects.record({ source: 'api', reason: 'unknown-client', clientId: maskName(id), detail });
    return refuse(`not a known ${access.deviceCredential}`);
  }
  if (!password || !(await deps.deviceCredentials?.verify(id, password))) {
    deps.deviceThrottle?.fail(ip, id);
    deps.rejects.record({
      source: 'api',
      reason: 'bad-password',
      deviceId: id,
      communeId: device.communeId,
      clientId: id,
      detail,
    });
    return refuse('wrong device password');
  }
  deps.deviceThrottle?.succeed(ip, id);
  return id;
}

function mount(app: express.Express, deps: ApiDeps, spec: RouteSpec): void {
  app[spec.method](spec.path, async (req: Request, res: Response) => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    (req as Request & { cookies: Record<string, string> }).cookies = token ? { [SESSION_COOKIE]: token } : {};
    const username = token ? deps.sessions.lookup(token) : undefined;
    const account = username ? deps.users.account(username) : undefined;
    // Locking ends the sessions; a session that raced the lock is refused here all the same.
    const user =
      account && account.lockedTs === null
        ? { username: account.username, name: account.name, role: account.role, communeId: account.communeId }
        : undefined;
    if (user && account?.mustChangePassword && !spec.duringPasswordChange)
      throw new CxError('CX_PASSWORD_CHANGE_REQUIRED', `${user.username} must choose a new password first`);
    const apiKey = isApiKeyAccess(spec.access) ? checkApiKey(deps, spec, req, user) : undefined;
    const deviceId = isDeviceAccess(spec.access)
      ? await checkDevice(deps, spec.access, req, user)
      : undefined;
    if (spec.access !== 'public' && !user && !apiKey && !deviceId)
      throw new CxError('CX_UNAUTHENTICATED', 'not signed in');
    if (!apiKey && !deviceId && !allows(spec.access, user)) {
      deps.log.info({ username: user?.username, role: user?.role, path: spec.path }, 'access refused');
      throw new CxError('CX_FORBIDDEN', `role ${user?.role} may not ${spec.method} ${spec.path}`);
    }
    const query = spec.query ? spec.query.safeParse(req.query) : { success: true as const, data: req.query };
    const body = spec.body
      ? spec.body.safeParse(req.body ?? {})
      : { success: true as const, data: undefined };
    if (!query.success || !body.success) {
      const issues = [
        ...(query.success ? [] : query.error.issues),
        ...(body.success ? [] : body.error.issues),
      ];
      throw new CxError('CX_BAD_REQUEST', 'invalid input', { fields: fieldErrors(issues) });
    }
    const result = await spec.handle({
      deps,
      user: apiKey || deviceId ? undefined : user,
      apiKey,
      deviceId,
      query: query.data,
      body: body.data,
      params: req.params as Record<string, string>,
      req,
      res,
    });
    if (result === res || res.headersSent) return;
    if (result === undefined) res.end();
    else res.json(result);
  });
}

/**
 * True for any spelling of a path under /api (/API/…, //api/…, /./api/…, %61pi/…): those answer
 * 404 as JSON, never the dashboard's index.html with a 200.
 */
function apiLike(path: string): boolean {
  let p = path;
  try {
    p = decodeURIComponent(path);
  } catch (err) {
    // A malformed escape (%zz) is judged as spelt.
    if (!(err instanceof URIError)) throw err;
  }
  p = p
    .toLowerCase()
    .replace(/\/\.(?=\/|$)/g, '')
    .replace(/\/{2,}/g, '/');
  return /^\/api(?:[/;]|$)/.test(p);
}

/** The Express app: every route from the registry, the OpenAPI document, the dashboard. */
export function createApiApp(deps: ApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // One spelling per route, the one in the route table and the OpenAPI document: Express would
  // also serve /API/AUDIT and /api/audit/, and any rule keyed on the path outside this app (a
  // reverse proxy's deny or allow list, log alerts on /api/audit) would miss those spellings.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(
    helmet({
      // The dashboard loads only its own bundle.
      contentSecurityPolicy: {
        directives: {
          // Map tiles too: the service proxies and caches them (/api/map/tiles), the browser never
          // asks a tile server itself.
          'img-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': deps.config.service.api.cookieSecure ? [] : null,
        },
      },
      strictTransportSecurity: deps.config.service.api.cookieSecure,
    }),
  );
  app.use(express.json({ limit: BODY_LIMIT_BYTES }));
  const openapi = openApiDocument(ROUTES);
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  for (const spec of ROUTES) mount(app, deps, spec);
  app.use((req, _res, next) => {
    if (apiLike(req.path)) throw new CxError('CX_NOT_FOUND', 'no such API route');
    next();
  });
  // Looked up per request, not once at start: a dashboard built after the API started (by the
  // service itself, or `npm run build:dashboard`) is served without a restart.
  app.use(express.static(DASHBOARD_DIST, { index: 'index.html', maxAge: '1h' }));
  app.get('/{*path}', (_req, res) => {
    const index = join(DASHBOARD_DIST, 'index.html');
    if (!existsSync(index)) throw new CxError('CX_DASHBOARD_NOT_BUILT', 'dashboard/dist has no index.html');
    res.sendFile(index);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const locale = localeFrom(req.headers['accept-language'], req.query.lang as string | undefined);
    const bodyError = (err as { type?: string }).type;
    const cx =
      err instanceof CxError
        ? err
        : bodyError === 'entity.too.large'
          ? // 413 Content Too Large (RFC 9110 §15.5.14), with the limit so the client can fix it.
            new CxError('CX_PAYLOAD_TOO_LARGE', 'body over the limit', {
              cause: err,
              params: { limitBytes: BODY_LIMIT_BYTES, limitKb: BODY_LIMIT_BYTES / 1024 },
            })
          : bodyError === 'entity.parse.failed'
            ? new CxError('CX_BAD_REQUEST', 'unreadable body', { cause: err })
            : null;
    if (!cx) deps.log.error({ err, path: req.path }, 'request failed');
    const e = cx ?? new CxError('CX_INTERNAL', 'internal error', { cause: err });
    if (res.headersSent) return res.end();
    res.status(e.status).json({
      code: e.code,
      message: t(locale, e.key, e.params),
      ...(Object.keys(e.params).length ? { params: e.params } : {}),
      ...(e.fields ? { fields: e.fields } : {}),
    });
  });
  return app;
}
