import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { SweeperError, toError } from '../errors';
import { HttpError, httpStatusFor } from '../http/http-errors';
import type { PageContext } from './layout';
import { sendPage } from './send-page';
import { errorPage, reloadHere } from './sign-in-page';

/**
 * The dashboard's errors as pages, with the status of the API's one table (http-errors.ts) and the
 * message through the same redaction: a browser that is not signed in is sent to the sign-in page.
 */
export function uiErrorHandler(o: {
  logger: Logger;
  redact: (message: string) => string;
  context: (request: FastifyRequest, reply: FastifyReply) => PageContext;
}) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    let status: number;
    let message: string;
    if (error instanceof SweeperError || error instanceof HttpError) {
      status = httpStatusFor(error.code);
      message = o.redact(error.message);
      if (status >= 500)
        o.logger.error({ err: error, req: request.id, url: request.url }, 'dashboard request failed');
    } else if (
      typeof (error as FastifyError | null)?.statusCode === 'number' &&
      (error as FastifyError).statusCode! < 500
    ) {
      status = (error as FastifyError).statusCode!;
      message = o.redact((error as FastifyError).message);
    } else {
      o.logger.error({ err: toError(error), req: request.id, url: request.url }, 'dashboard request failed');
      status = 500;
      message = `internal error (request ${request.id}): the daemon's log has the details`;
    }
    if (status === 401 && request.method === 'GET' && request.headers['sec-fetch-site'] === 'cross-site') {
      // A link followed from another site (an email, a chat): the SameSite=Strict cookie was not sent
      // with it. Load the page again from here, which sends it; without a session that lands on sign-in.
      return sendPage(reply, reloadHere(request.url));
    }
    if (status === 401 && request.method === 'GET') {
      return reply.redirect(`/ui/sign-in?next=${encodeURIComponent(request.url)}`, 303);
    }
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .send(errorPage(o.context(request, reply), { status, message }).text);
  };
}
