import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { RouteSpec } from './route.ts';

const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  fields: z.record(z.string(), z.string()).optional(),
});

/** The OpenAPI 3.1 description, generated from the same route specs and zod schemas the app runs. */
export function openApiDocument(routes: readonly RouteSpec[]): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'cx_session' });
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const pathParams = [...r.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
    registry.registerPath({
      method: r.method,
      path,
      summary: r.summary,
      tags: [r.tag],
      description: r.access === 'public' ? 'Public.' : r.access === 'signed-in' ? 'Any signed-in role.' : `Roles: ${r.access.join(', ')}.`,
      ...(r.access === 'public' ? {} : { security: [{ session: [] }] }),
      request: {
        ...(pathParams.length ? { params: z.object(Object.fromEntries(pathParams.map((p) => [p, z.string()]))) } : {}),
        ...(r.query ? { query: r.query as z.ZodObject } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses: {
        200: {
          description: 'OK',
          ...(r.response ? { content: { 'application/json': { schema: r.response } } } : {}),
        },
        400: { description: 'Invalid input', content: { 'application/json': { schema: ErrorBody } } },
        ...(r.access === 'public' ? {} : { 401: { description: 'Not signed in' }, 403: { description: 'Role not allowed' } }),
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Canh Xã API', version: '1.0.0', description: 'Commune infrastructure monitoring.' },
  });
}
