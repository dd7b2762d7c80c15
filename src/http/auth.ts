import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './http-errors';

export type Role = 'viewer' | 'operator';

export interface TokenConfig {
  name: string;
  token: string;
  role: Role;
}

/** Who made a request: a configured token's name and role, or `anonymous` when no tokens are configured. */
export interface Principal {
  name: string;
  role: Role;
}

/** What a route needs: nothing, any valid token (`read`), or an operator's token (`control`). */
export type Access = 'open' | 'read' | 'control';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const ANONYMOUS: Principal = { name: 'anonymous', role: 'operator' };

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * Bearer-token authentication. Tokens are compared as SHA-256 digests with `timingSafeEqual`, against
 * every configured token without stopping at a match, so the time taken says nothing about a token.
 * With no tokens configured (allowed on loopback only, checked by the config), everything is open and
 * the caller acts as `anonymous` with the operator role.
 */
export class TokenAuth {
  private readonly tokens: { name: string; role: Role; digest: Buffer }[];

  constructor(tokens: TokenConfig[]) {
    this.tokens = tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.token) }));
  }

  get open(): boolean {
    return this.tokens.length === 0;
  }

  /** The principal of an `Authorization` header; throws UNAUTHORIZED when it names no configured token. */
  authenticate(header: string | undefined): Principal {
    if (this.open) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match)
      throw new HttpError(
        'UNAUTHORIZED',
        'this endpoint needs a token: send "Authorization: Bearer <token>" with a token of http.tokens',
      );
    const presented = digest(match[1]!);
    let found: Principal | null = null;
    for (const t of this.tokens) {
      if (timingSafeEqual(presented, t.digest) && !found) found = { name: t.name, role: t.role };
    }
    if (!found) throw new HttpError('UNAUTHORIZED', 'the bearer token is not one of http.tokens');
    return found;
  }

  /** The hook that enforces a route's access; it leaves `request.principal` set for the handler. */
  hook(access: Access) {
    return async (request: FastifyRequest): Promise<void> => {
      if (access === 'open') return;
      const principal = this.authenticate(request.headers.authorization);
      if (access === 'control' && principal.role !== 'operator') {
        throw new HttpError(
          'FORBIDDEN',
          `token "${principal.name}" has the role ${principal.role}: control calls need an operator token`,
        );
      }
      request.principal = principal;
    };
  }
}

export function registerPrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

/** The actor recorded with a change: `http:<token name>`, or `http:anonymous` without tokens. */
export function actorOf(request: FastifyRequest): string {
  return `http:${request.principal?.name ?? ANONYMOUS.name}`;
}
