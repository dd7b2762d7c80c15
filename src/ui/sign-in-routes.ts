import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UsageError } from '../errors';
import { HttpError } from '../http/http-errors';
import { text, type Params } from './params';
import { sendPage, type Context } from './send-page';
import { CSRF_FIELD, type UiSessions } from './session';
import { safeNext, signInPage } from './sign-in-page';

function form(request: FastifyRequest): Params {
  return (request.body ?? {}) as Params;
}

/** Sign-in and sign-out: the token is checked and kept in the session cookie. */
export function registerSignIn(ui: FastifyInstance, sessions: UiSessions, context: Context): void {
  ui.get<{ Querystring: Params }>('/sign-in', (request, reply) => {
    if (sessions.open) return reply.redirect('/ui/jobs', 303);
    return sendPage(
      reply,
      signInPage(
        { ...context(request, reply), principal: null, csrf: sessions.csrfToken(null) },
        { next: safeNext(request.query.next) },
      ),
    );
  });

  ui.post('/sign-in', async (request, reply) => {
    const body = form(request);
    sessions.checkCsrf(null, body[CSRF_FIELD]);
    const next = safeNext(body.next);
    const token = text(body, 'token')?.trim();
    if (token === undefined) throw new UsageError('token is required: paste a token of http.tokens');
    try {
      sessions.signIn(token);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const ctx = { ...context(request, reply), principal: null, csrf: sessions.csrfToken(null) };
      return sendPage(
        reply,
        signInPage(ctx, {
          next,
          problem:
            'that token is not one of http.tokens: check the config, and paste the token itself, not its name',
        }),
        401,
      );
    }
    sessions.setSession(request, reply, token);
    return reply.redirect(next, 303);
  });

  ui.post('/sign-out', async (request, reply) => {
    sessions.checkCsrf(request.principal, form(request)[CSRF_FIELD]);
    sessions.clearSession(request, reply);
    return reply.redirect('/ui/sign-in', 303);
  });
}
