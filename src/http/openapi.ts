/**
 * The OpenAPI 3.1 description served at `GET /openapi.json`, made by @fastify/swagger from each route's
 * zod schemas (src/http/api-schemas.ts) through fastify-type-provider-zod: what fastify checks a
 * request against is what the description says. Every route has an operationId.
 */
import type { SwaggerOptions } from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { healthSchema } from './api-schemas';
import { answer, readErrors, secured } from './route-docs';

/**
 * Requests are checked with the routes' zod schemas; answers are written with JSON.stringify as they
 * are (their schemas document them: re-validating every answer on the way out would turn a
 * documentation slip into a 500).
 */
export function openApiSchemaCompilers(server: FastifyInstance): void {
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

const info = {
  title: 'Sweeper',
  version: '1',
  description:
    'Scheduled bulk-delete daemon. Under /api and /metrics a bearer token of http.tokens is required when any is configured; ' +
    'role viewer reads, role operator also controls. Times are ISO-8601 UTC.',
};

/** What the routes need of the document @fastify/swagger made (its own types differ per OpenAPI version). */
interface Document {
  paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>>;
  components?: { schemas?: Record<string, unknown> } & Record<string, unknown>;
}

/**
 * The swagger options for one server, and `finish`, which turns what @fastify/swagger made into the
 * document served: a body the route's schema lets absent is not required (swagger marks every body
 * required), and of the components written twice by the transform (for requests, "JobInput", and
 * answers) those referenced are kept.
 */
export function describeRoutes(): { options: SwaggerOptions; finish(document: object): Document } {
  const transform = createJsonSchemaTransform({ skipList: [] });
  const optionalBodies = new Set<string>();
  const options: SwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform(route) {
      // The dashboard's pages are HTML for people, not part of the API this document describes.
      if (route.url === '/ui' || route.url.startsWith('/ui/')) return { schema: { ...route.schema, hide: true }, url: route.url };
      const body = (route.schema as { body?: unknown } | undefined)?.body;
      if (body instanceof z.ZodType && body.safeParse(undefined).success) {
        for (const method of [route.route.method].flat())
          optionalBodies.add(`${method.toLowerCase()} ${route.url}`);
      }
      return transform(route);
    },
    transformObject: createJsonSchemaTransformObject({}),
  };
  const finish = (made: object): Document => {
    const document = made as Document;
    for (const [url, operations] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.requestBody && optionalBodies.has(`${method} ${url.replace(/\{(\w+)\}/g, ':$1')}`))
          operation.requestBody.required = false;
      }
    }
    const schemas = document.components?.schemas;
    if (!schemas) return document;
    const text = JSON.stringify(document.paths) + JSON.stringify(schemas);
    const used = Object.fromEntries(
      Object.entries(schemas).filter(([name]) => text.includes(`"#/components/schemas/${name}"`)),
    );
    return { ...document, components: { ...document.components, schemas: used } };
  };
  return { options, finish };
}

export const healthzDocs = {
  operationId: 'getHealth',
  summary:
    'Liveness and readiness: the state store answers within 1 s and the scheduler loop is not stuck. No token needed.',
  response: {
    200: answer('healthy', healthSchema),
    503: answer('unhealthy, with the problems', healthSchema),
  },
};

export const metricsDocs = {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics (text exposition format); any valid token when tokens are configured',
  ...secured,
  response: { 200: answer('metrics', z.string(), 'text/plain'), 401: readErrors[401] },
};

export const openApiDocs = {
  operationId: 'getOpenApi',
  summary: 'This description. No token needed.',
  response: { 200: answer('OpenAPI 3.1 document', z.looseObject({ openapi: z.string() })) },
};
