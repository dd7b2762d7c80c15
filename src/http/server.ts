import type { AddressInfo } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Daemon } from '../daemon';
import { SweeperError, UsageError, toError } from '../errors';
import { SweeperMetrics } from '../metrics/metrics';
import { TokenAuth, registerPrincipal, type TokenConfig } from './auth';
import { registerControlRoutes } from './control-routes';
import { HealthCheck } from './health';
import { errorHandler, notFoundHandler } from './http-errors';
import { describeRoutes, healthzDocs, metricsDocs, openApiDocs, openApiSchemaCompilers } from './openapi';
import { registerReadRoutes } from './read-routes';
import { messageRedactor } from './redact';
import { registerRequestBodies } from './request-bodies';
import { RequestGuard } from './request-guard';
import { registerDashboard } from '../ui/dashboard';

export interface HttpConfig {
  /** `host:port` or `[ipv6]:port`; port 0 picks a free port (the returned `url` has the real one). */
  listen: string;
  /** The address operators reach Sweeper at behind a proxy: its host and origin are accepted too. */
  publicUrl?: string;
  tokens: TokenConfig[];
}

export interface HttpServer {
  /** Where the server listens, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** Every route registered, as `METHOD /path` in fastify's syntax (`/api/jobs/:name`). */
  routes: string[];
  /** Stops accepting connections and waits for requests in flight; idempotent. */
  close(): Promise<void>;
}

export interface HttpServerOptions {
  /** The daemon's metrics (the ones its runs report to); without it, a set with only the store gauges and process metrics. */
  metrics?: SweeperMetrics;
}

/** Splits `host:port` / `[::1]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]+):(\d+)$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port > 65535)
    throw new UsageError(`http.listen "${listen}" must be host:port, e.g. 127.0.0.1:8787`);
  return { host: match[1]!, port };
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Starts the HTTP API of a running daemon: `/healthz` (open), `/metrics` and `/api/*` (bearer tokens
 * when any are configured; control calls need the operator role), `/openapi.json` (open).
 */
export async function startHttpServer(
  daemon: Daemon,
  http: HttpConfig,
  options: HttpServerOptions = {},
): Promise<HttpServer> {
  const { logger: rootLogger, store } = daemon.app;
  const logger = rootLogger.child({ component: 'http' });
  const { host, port } = parseListen(http.listen);
  const auth = new TokenAuth(http.tokens);
  const metrics = options.metrics ?? new SweeperMetrics(store);
  const redact = messageRedactor(daemon.app.config.file);
  const health = new HealthCheck(daemon, redact);

  const server = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const routes: string[] = [];
  server.addHook('onRoute', (route) => {
    // Routes hidden from the OpenAPI description (`schema: { hide: true }`, e.g. the dashboard's pages) are not API routes.
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push(`${method} ${route.url}`);
  });
  const openApi = describeRoutes();
  await server.register(fastifySwagger, openApi.options);
  server.addHook('onResponse', async (request, reply) => {
    logger.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'HTTP request',
    );
  });
  // Set once listening, when the real port is known; no request arrives before.
  let guard: RequestGuard | null = null;
  server.addHook('onRequest', (request) => guard!.hook(request));
  registerRequestBodies(server);
  registerPrincipal(server);
  server.setErrorHandler(errorHandler(logger, redact));
  server.setNotFoundHandler(notFoundHandler);

  // The API's routes in a context of their own, checked with zod schemas; routes registered on
  // `server` beside them (the dashboard) keep fastify's own JSON-schema compilers.
  await server.register(async (api) => {
    openApiSchemaCompilers(api);
    const documented = api.withTypeProvider<ZodTypeProvider>();
    documented.get('/healthz', { schema: healthzDocs }, async (_request, reply) => {
      const h = await health.check();
      return reply
        .status(h.status === 'ok' ? 200 : 503)
        .header('cache-control', 'no-store')
        .send(h);
    });
    documented.get(
      '/metrics',
      { onRequest: auth.hook('read'), schema: metricsDocs },
      async (_request, reply) => {
        const text = await metrics.render();
        return reply.header('content-type', metrics.contentType).send(text);
      },
    );
    documented.get('/openapi.json', { schema: openApiDocs }, () => openApi.finish(server.swagger()));
    registerReadRoutes(api, daemon, auth);
    registerControlRoutes(api, daemon, auth);
  });
  registerDashboard(server, daemon, { auth, redact, logger });

  try {
    await server.listen({ host, port });
  } catch (error) {
    await server.close();
    const e = toError(error);
    const hint =
      (e as NodeJS.ErrnoException).code === 'EADDRINUSE'
        ? ': another process listens there; change http.listen or stop it'
        : '';
    throw new SweeperError('INTERNAL', `http.listen ${http.listen}: cannot listen (${e.message})${hint}`, {
      cause: error,
    });
  }
  const bound = server.server.address() as AddressInfo;
  guard = new RequestGuard({ listenHost: host, bound, publicUrl: http.publicUrl });
  const url = urlOf(bound);
  logger.info(
    { url, dashboard: `${url}/ui`, tokens: http.tokens.length },
    `HTTP API listening on ${url}${auth.open ? ' without tokens (loopback only)' : ''} (OpenAPI: ${url}/openapi.json); dashboard: ${url}/ui`,
  );
  let closing: Promise<void> | null = null;
  return {
    url,
    routes,
    close: () => (closing ??= server.close()),
  };
}
