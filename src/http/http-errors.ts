import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { SweeperError, toError, type ErrorCode } from '../errors';

/** The codes of the error body: Sweeper's own, plus those of the HTTP layer (authentication, request checks). */
export type HttpErrorCode = ErrorCode | 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNSUPPORTED_MEDIA_TYPE';

export interface ErrorBody {
  error: { code: HttpErrorCode; message: string };
}

/** The one table from error codes to HTTP statuses. */
const httpStatuses: Record<HttpErrorCode, number> = {
  USAGE: 400,
  INVALID_CONFIG: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SCHEMA_TOO_NEW: 500,
  TARGET_UNAVAILABLE: 503,
  MAX_DELETES_EXCEEDED: 500,
  RUN_FAILED: 500,
  INTERNAL: 500,
};

export function httpStatusFor(code: HttpErrorCode): number {
  return httpStatuses[code];
}

/** An error of the HTTP layer itself (authentication, authorization, where a request comes from, its body). */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendError(reply: FastifyReply, code: HttpErrorCode, message: string): FastifyReply {
  if (code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="sweeper"');
  const body: ErrorBody = { error: { code, message } };
  return reply.status(httpStatusFor(code)).send(body);
}

function isFastifyClientError(e: unknown): e is FastifyError & { statusCode: number } {
  const status = (e as FastifyError | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * Fastify's error handler: Sweeper errors by the table above; fastify's own client errors (bad JSON,
 * body too large) keep their status as USAGE; anything else is logged and a 500 whose message points
 * to the log. Every message goes through `redact` (see redact.ts): no server paths, SQL or passwords
 * reach a client, while the log keeps the original.
 */
export function errorHandler(logger: Logger, redact: (message: string) => string) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof SweeperError) {
      if (httpStatusFor(error.code) >= 500)
        logger.error({ err: error, req: request.id, url: request.url }, 'HTTP request failed');
      return sendError(reply, error.code, redact(error.message));
    }
    if (error instanceof HttpError) return sendError(reply, error.code, redact(error.message));
    // A parameter or body that does not fit the route's zod schema: each message names the parameter and the fix.
    if (hasZodFastifySchemaValidationErrors(error)) {
      const messages = [...new Set(error.validation.map((v) => v.message))];
      return sendError(reply, 'USAGE', redact(messages.join('; ')));
    }
    if (isFastifyClientError(error)) {
      const body: ErrorBody = {
        error: { code: error.statusCode === 404 ? 'NOT_FOUND' : 'USAGE', message: redact(error.message) },
      };
      return reply.status(error.statusCode).send(body);
    }
    logger.error({ err: toError(error), req: request.id, url: request.url }, 'HTTP request failed');
    return sendError(
      reply,
      'INTERNAL',
      `internal error (request ${request.id}): the daemon's log has the details`,
    );
  };
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return sendError(
    reply,
    'NOT_FOUND',
    `no route ${request.method} ${request.url.split('?')[0]}: GET /openapi.json lists the routes`,
  );
}
