import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SafeHtml } from './html';
import type { PageContext } from './layout';

/** What a page needs to know of its request: who asks, the CSRF token for its forms, a notice. */
export type Context = (request: FastifyRequest, reply: FastifyReply) => PageContext;

/** Answers with a page (or a live part of one): HTML, never cached, since it shows live state. */
export function sendPage(reply: FastifyReply, body: SafeHtml, status = 200): FastifyReply {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body.text);
}
