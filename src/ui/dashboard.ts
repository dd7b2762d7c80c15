import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Daemon } from '../daemon';
import type { TokenAuth } from '../http/auth';
import { HttpError } from '../http/http-errors';
import { registerControlForms } from './control-routes';
import type { PageContext } from './layout';
import { LIVE_SCRIPT } from './live-script';
import { registerReadPages } from './read-routes';
import { sendPage } from './send-page';
import { UiSessions } from './session';
import { registerSignIn } from './sign-in-routes';
import { errorPage } from './sign-in-page';
import { DASHBOARD_CSS } from './styles';
import { uiErrorHandler } from './ui-errors';

/** Pages and assets a browser may load before signing in. */
const PUBLIC_PATHS = new Set(['/ui/sign-in', '/ui/assets/dashboard.css', '/ui/assets/live.js']);

/**
 * Nothing on a dashboard page comes from anywhere but this server, no inline script or style runs, no
 * other site may frame it or be posted to from it.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/**
 * The web dashboard under `/ui`, rendered on the server; its forms post `application/x-www-form-urlencoded`
 * (in this context only: the API still reads JSON alone). The request guard of the whole server
 * (Origin, Sec-Fetch-Site, Host) applies to it as to the API.
 */
export function registerDashboard(
  server: FastifyInstance,
  daemon: Daemon,
  o: { auth: TokenAuth; redact: (message: string) => string; logger: Logger },
): void {
  const sessions = new UiSessions(o.auth);
  const context = (request: FastifyRequest, reply: FastifyReply): PageContext => ({
    principal: request.principal,
    csrf: sessions.csrfToken(request.principal),
    notice: sessions.takeNotice(request, reply),
    signInNeeded: !sessions.open,
  });
  void server.register(
    async (ui) => {
      ui.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => {
          done(null, Object.fromEntries(new URLSearchParams(String(body))));
        },
      );
      ui.addHook('onRequest', async (request, reply) => {
        void reply.headers(SECURITY_HEADERS);
        request.principal = sessions.principal(request);
        if (!request.principal && !PUBLIC_PATHS.has(request.url.split('?')[0]!))
          throw new HttpError('UNAUTHORIZED', 'sign in with a token of http.tokens to see the dashboard');
      });
      ui.setErrorHandler(uiErrorHandler({ logger: o.logger, redact: o.redact, context }));
      ui.setNotFoundHandler((request, reply) =>
        sendPage(
          reply,
          errorPage(context(request, reply), {
            status: 404,
            message: `no dashboard page ${request.url.split('?')[0]}`,
          }),
          404,
        ),
      );
      ui.get('/assets/dashboard.css', (_request, reply) =>
        reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(DASHBOARD_CSS),
      );
      ui.get('/assets/live.js', (_request, reply) =>
        reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(LIVE_SCRIPT),
      );
      registerSignIn(ui, sessions, context);
      registerReadPages(ui, daemon.app, context);
      registerControlForms(ui, daemon, sessions, context);
    },
    { prefix: '/ui' },
  );
}
