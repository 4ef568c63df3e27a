import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { pathParams } from './examples.ts';
import { isApiKeyAccess, isDeviceAccess, type RouteSpec } from './route.ts';

const ErrorBody = z.object({
  code: z.string(),
  message: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  fields: z.record(z.string(), z.string()).optional(),
});

function describeAccess(r: RouteSpec): string {
  if (r.access === 'public') return 'Public.';
  if (r.access === 'signed-in') return 'Any signed-in role.';
  if (isApiKeyAccess(r.access))
    return `API key with scope "${r.access.apiKeyScope}" (Authorization: Bearer cxk_…). Sessions are refused.`;
  if (isDeviceAccess(r.access))
    return `A ${r.access.deviceCredential} device's own MQTT credential as HTTP Basic (device id, password). Sessions and API keys are refused.`;
  return `Roles: ${r.access.join(', ')}.`;
}

const DEFAULT_INFO = {
  title: 'Canh Xã API',
  version: '1.0.0',
  description: 'Commune infrastructure monitoring.',
};

/** The OpenAPI 3.1 description, generated from the same route specs and zod schemas the app runs. */
export function openApiDocument(
  routes: readonly RouteSpec[],
  info: { title: string; version: string; description: string } = DEFAULT_INFO,
): object {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'cx_session',
  });
  registry.registerComponent('securitySchemes', 'iocKey', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'cxk_… (npm run api-key -- create)',
    description: 'IOC feed API key; scopes: summaries, states.',
  });
  registry.registerComponent('securitySchemes', 'deviceBasic', {
    type: 'http',
    scheme: 'basic',
    description: "A gateway's device id and MQTT password (device-secrets.json).",
  });
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const params = pathParams(r.path);
    const byKey = isApiKeyAccess(r.access);
    const byDevice = isDeviceAccess(r.access);
    registry.registerPath({
      method: r.method,
      path,
      summary: r.summary,
      tags: [r.tag],
      description: describeAccess(r),
      ...(r.access === 'public'
        ? {}
        : { security: [byKey ? { iocKey: [] } : byDevice ? { deviceBasic: [] } : { session: [] }] }),
      request: {
        ...(params.length
          ? { params: z.object(Object.fromEntries(params.map((p) => [p, z.string()]))) }
          : {}),
        ...(r.query ? { query: r.query as z.ZodObject } : {}),
        ...(r.body
          ? {
              body: {
                content: {
                  'application/json': {
                    schema: r.body,
                    ...(r.examples?.body !== undefined ? { example: r.examples.body } : {}),
                  },
                },
              },
            }
          : {}),
      },
      responses: {
        200: {
          description: 'OK',
          ...(r.response ? { content: { 'application/json': { schema: r.response } } } : {}),
        },
        400: { description: 'Invalid input', content: { 'application/json': { schema: ErrorBody } } },
        ...(r.access === 'public'
          ? {}
          : byKey
            ? {
                401: { description: 'No API key, or an unknown or revoked one' },
                403: { description: 'The key lacks this scope or commune' },
              }
            : { 401: { description: 'Not signed in' }, 403: { description: 'Role not allowed' } }),
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({ openapi: '3.1.0', info });
}
