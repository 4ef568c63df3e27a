import { canSee } from '../device-types/registry.ts';
import { mayMaintain } from './maintenance.ts';
import type { ExampleContext, RouteSpec } from './route.ts';

// Working requests for each route (RouteSpec.examples): checked, filled in and shared by the role
// walk, and the body examples shown in the OpenAPI document.

/** Names of the path params, e.g. ['id'] for /api/devices/:id. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
}

/**
 * What a route's examples lack or get wrong, one line each, naming the route and the fix; empty
 * when the role walk can call it.
 */
export function exampleProblems(spec: RouteSpec): string[] {
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  const problems: string[] = [];
  const names = pathParams(spec.path);
  if (names.length > 0 && !spec.examples?.params)
    problems.push(
      `${where}: path param ${names.map((n) => `:${n}`).join(', ')} but no examples.params. Fix: add examples: { params: (ctx) => ({ ${names.map((n) => `${n}: …`).join(', ')} }) } to its route.`,
    );
  const takesBody = spec.body !== undefined || spec.method !== 'get';
  if (takesBody && spec.examples?.body === undefined)
    problems.push(
      `${where}: takes a body but has no examples.body. Fix: add examples: { body: … } (a body its schema accepts; {} if it reads none).`,
    );
  if (spec.body && spec.examples?.body !== undefined) {
    const parsed = spec.body.safeParse(spec.examples.body);
    if (!parsed.success)
      problems.push(
        `${where}: examples.body is refused by its own body schema (${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}). Fix: make the example valid.`,
      );
  }
  return problems;
}

/** The route's path with its example params filled in (encoded) for this caller. */
export function examplePath(spec: RouteSpec, ctx: ExampleContext): string {
  const params = spec.examples?.params?.(ctx) ?? {};
  return spec.path.replace(/:(\w+)/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined)
      throw new Error(`${spec.method.toUpperCase()} ${spec.path}: examples.params gave no "${name}"`);
    return encodeURIComponent(v);
  });
}

/**
 * Example param: a device the caller may see (its commune, a type its role sees); a caller without
 * a session gets one an admin would see, so that only the route's own access rule refuses it.
 */
/** Example param: a device this role may put in maintenance (the police: a camera). */
export function exampleMaintained(ctx: ExampleContext): { id: string } {
  const role = ctx.role ?? 'admin';
  const d = [...ctx.deps.directory.all()].find(
    (x) =>
      (ctx.communeId === null || x.communeId === ctx.communeId) &&
      canSee(role, x.type.kind) &&
      mayMaintain(role, x.type.kind),
  );
  return d ? { id: d.id } : exampleDevice(ctx);
}

export function exampleDevice(ctx: ExampleContext): { id: string } {
  const role = ctx.role ?? 'admin';
  const d = [...ctx.deps.directory.all()].find(
    (x) => (ctx.communeId === null || x.communeId === ctx.communeId) && canSee(role, x.type.kind),
  );
  if (!d) throw new Error(`no device that role ${role} may see in ${ctx.communeId ?? 'any commune'}`);
  return { id: d.id };
}
