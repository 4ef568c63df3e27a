import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Role } from '../../config/schema/commune.ts';
import type { ApiKey, ApiKeyScope } from '../auth/api-keys.ts';
import type { User } from '../auth/users.ts';
import type { ApiDeps } from './deps.ts';

/**
 * Who may call a route: everybody, any signed-in user, the listed roles, or (the IOC feed) an API
 * key with the named scope, sent as `Authorization: Bearer cxk_…`. The two worlds do not mix:
 * a session never opens an API-key route (403) and a key never opens a session route.
 */
export type Access =
  | 'public'
  | 'signed-in'
  | readonly Role[]
  | { readonly apiKeyScope: ApiKeyScope }
  | DeviceAccess;

/**
 * A device of this type, with its own MQTT credential as HTTP Basic (device id, password): a probe
 * gateway at a site uploading what MQTT must not carry (camera snapshots). Sessions and API keys
 * never open such a route, and a device credential opens nothing else.
 */
export interface DeviceAccess {
  readonly deviceCredential: 'gateway';
}

export function isApiKeyAccess(access: Access): access is { readonly apiKeyScope: ApiKeyScope } {
  return typeof access === 'object' && 'apiKeyScope' in access;
}

export function isDeviceAccess(access: Access): access is DeviceAccess {
  return typeof access === 'object' && 'deviceCredential' in access;
}

export interface RouteContext<Q, B> {
  readonly deps: ApiDeps;
  readonly user: User | undefined;
  /** The verified API key on an `apiKeyScope` route; undefined elsewhere. */
  readonly apiKey: ApiKey | undefined;
  /** The device whose credential was verified on a `deviceCredential` route; undefined elsewhere. */
  readonly deviceId: string | undefined;
  readonly query: Q;
  readonly body: B;
  readonly params: Record<string, string>;
  readonly req: Request;
  readonly res: Response;
}

/** What a route's examples may look at to name something real: who calls, and the service. */
export interface ExampleContext {
  /** The caller's role; null for a call without a session (anonymous, or an API key). */
  readonly role: Role | null;
  /** The caller's commune; null for every commune (province) or no session. */
  readonly communeId: string | null;
  readonly deps: Pick<ApiDeps, 'directory' | 'db' | 'clock'>;
}

/**
 * A working request for the route, for the role walk (test/integration/api-roles.test.ts) and
 * the OpenAPI document. `params` names something the caller may reach (its own commune, a type
 * its role sees), so the walk tests the route's access rule, not a 404 or another rule's 403.
 * A route with a path param must give `params`, and every route that takes a body (any
 * POST, PUT or DELETE) must give `body`; the walk fails, naming the route, otherwise.
 */
export interface RouteExamples<B = unknown> {
  readonly params?: (ctx: ExampleContext) => Record<string, string>;
  readonly body?: B;
}

/**
 * One route, declared once: the app mounts it with its access check and validation, the OpenAPI
 * description is generated from it, and the role test walks it. A route without `access` cannot
 * be written.
 */
export interface RouteSpec<Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** Express path, e.g. /api/devices/:id */
  readonly path: string;
  readonly access: Access;
  readonly summary: string;
  readonly tag: string;
  readonly query?: Q;
  readonly body?: B;
  readonly response?: z.ZodType;
  /**
   * Callable by a session whose password must be changed first (a generated or reset one): the
   * few routes that let the person choose a new one (me, logout, the change itself). Every other
   * route answers 403 CX_PASSWORD_CHANGE_REQUIRED to such a session.
   */
  readonly duringPasswordChange?: true;
  /**
   * The answer carries a new secret, shown this once (a password reset, a rotated device secret):
   * the role walk checks these answers for hashes but not for the secrets it knows.
   */
  readonly oneTimeSecret?: true;
  /** A working request: path params and body (see RouteExamples). */
  readonly examples?: RouteExamples<z.input<B>>;
  readonly handle: (ctx: RouteContext<z.output<Q>, z.output<B>>) => unknown | Promise<unknown>;
}

export function route<Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** Whether a signed-in user (or nobody) may call a route. API-key routes take no user. */
export function allows(access: Access, user: User | undefined): boolean {
  if (access === 'public') return true;
  if (!user || isApiKeyAccess(access) || isDeviceAccess(access)) return false;
  return access === 'signed-in' || access.includes(user.role);
}

/** Whether an API key may call a route: only API-key routes, and only with the route's scope. */
export function keyAllows(access: Access, key: ApiKey | undefined): boolean {
  return key !== undefined && isApiKeyAccess(access) && key.scopes.includes(access.apiKeyScope);
}
