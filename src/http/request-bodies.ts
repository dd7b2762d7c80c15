import type { FastifyInstance } from 'fastify';
import { HttpError } from './http-errors';

const HINT = 'send the body as JSON with "Content-Type: application/json", or send no body';

/**
 * The bodies the API reads: JSON only. An empty body is no body (`undefined`) whatever its content
 * type, so `curl -X POST` and `curl -d ''` work; any other non-empty body is a 415 with a hint. A
 * text/plain or form body, which any web page can send without a preflight, is never read as JSON.
 */
export function registerRequestBodies(server: FastifyInstance): void {
  // A blank Content-Type is none (fastify would refuse it before any parser saw the body).
  server.addHook('onRequest', async (request) => {
    if (request.headers['content-type']?.trim() === '') delete request.headers['content-type'];
  });
  const parseJson = server.getDefaultJsonParser('error', 'error');
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    void parseJson(request, text, done);
  });
  server.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    if (body.toString('utf8').trim() === '') return done(null, undefined);
    const type = request.headers['content-type'];
    const what = type ? `Content-Type "${type}" is` : 'a body without a Content-Type is';
    done(new HttpError('UNSUPPORTED_MEDIA_TYPE', `${what} not accepted: ${HINT}`), undefined);
  });
}
