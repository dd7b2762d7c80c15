import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal, TokenAuth } from '../http/auth';
import { HttpError } from '../http/http-errors';

/** The cookie that keeps a signed-in browser's token (HttpOnly, SameSite=Strict, Path=/ui). */
export const SESSION_COOKIE = 'sweeper_session';
/** A one-time message for the next page (what a control action did), read and cleared there. */
export const NOTICE_COOKIE = 'sweeper_notice';
/** The field every dashboard form carries its CSRF token in. */
export const CSRF_FIELD = 'csrf';

/** Cookies of a request by name (the first of a name wins, as browsers send the most specific first). */
export function readCookies(request: FastifyRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // A value that is not valid percent-encoding is not one Sweeper set: ignored like a missing cookie.
      continue;
    }
  }
  return cookies;
}

/** Whether the browser reached Sweeper over TLS (directly, or through a proxy saying so). */
function overTls(request: FastifyRequest): boolean {
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

function cookie(request: FastifyRequest, name: string, value: string, maxAgeSeconds?: number): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/ui', 'HttpOnly', 'SameSite=Strict'];
  if (maxAgeSeconds !== undefined) parts.push(`Max-Age=${maxAgeSeconds}`);
  if (overTls(request)) parts.push('Secure');
  return parts.join('; ');
}

/**
 * Who a dashboard request comes from: the token of `http.tokens` kept in the session cookie (or sent
 * as `Authorization: Bearer`, for scripts and the benchmark). CSRF tokens are HMACs, under a secret
 * made when the daemon starts, of the principal the page was rendered for: a page of another site can
 * neither read one nor make one, and a token of one principal is worth nothing for another.
 */
export class UiSessions {
  private readonly secret = randomBytes(32);

  constructor(private readonly auth: TokenAuth) {}

  /** Without configured tokens (loopback only) everyone is the anonymous operator. */
  get open(): boolean {
    return this.auth.open;
  }

  /** The request's principal, or null when it brings no valid token. */
  principal(request: FastifyRequest): Principal | null {
    if (this.auth.open) return this.auth.authenticate(undefined);
    const token = readCookies(request).get(SESSION_COOKIE);
    const header = request.headers.authorization ?? (token ? `Bearer ${token}` : undefined);
    if (header === undefined) return null;
    try {
      return this.auth.authenticate(header);
    } catch (error) {
      if (error instanceof HttpError) return null;
      throw error;
    }
  }

  /** The principal of a token typed on the sign-in page; throws UNAUTHORIZED when it is not one of http.tokens. */
  signIn(token: string): Principal {
    return this.auth.authenticate(`Bearer ${token}`);
  }

  /** The CSRF token of the forms of a page rendered for `principal` (null: the sign-in form). */
  csrfToken(principal: Principal | null): string {
    const subject = principal ? `session:${principal.name}:${principal.role}` : 'sign-in';
    return createHmac('sha256', this.secret).update(subject).digest('base64url');
  }

  /** Refuses a form whose CSRF token is missing or was not made for this principal. */
  checkCsrf(principal: Principal | null, presented: unknown): void {
    const expected = Buffer.from(this.csrfToken(principal));
    const given = Buffer.from(typeof presented === 'string' ? presented : '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new HttpError(
        'FORBIDDEN',
        'this form has no valid CSRF token (it was not sent from this dashboard, or the daemon restarted since the page was loaded): reload the page and try again',
      );
    }
  }

  setSession(request: FastifyRequest, reply: FastifyReply, token: string): void {
    void reply.header('set-cookie', cookie(request, SESSION_COOKIE, token));
  }

  clearSession(request: FastifyRequest, reply: FastifyReply): void {
    void reply.header('set-cookie', cookie(request, SESSION_COOKIE, '', 0));
  }

  /** Shows `message` on the next page this browser loads. */
  setNotice(request: FastifyRequest, reply: FastifyReply, message: string): void {
    void reply.header('set-cookie', cookie(request, NOTICE_COOKIE, message, 60));
  }

  /** The notice left for this page, cleared as it is shown. */
  takeNotice(request: FastifyRequest, reply: FastifyReply): string | null {
    const notice = readCookies(request).get(NOTICE_COOKIE);
    if (notice === undefined || notice === '') return null;
    void reply.header('set-cookie', cookie(request, NOTICE_COOKIE, '', 0));
    return notice;
  }
}
