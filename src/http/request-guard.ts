import type { AddressInfo } from 'node:net';
import { hostname as machineName, networkInterfaces } from 'node:os';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-errors';

/** Where the server listens, and the public URL operators reach it at (behind a proxy), if any. */
export interface ServerAddress {
  /** The host of `http.listen` as written (`127.0.0.1`, `localhost`, `0.0.0.0`, `::1`). */
  listenHost: string;
  /** The socket's real address (the port is the real one when `http.listen` said 0). */
  bound: AddressInfo;
  publicUrl?: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** `host` as it appears in a Host header / URL: IPv6 in brackets, lower case. */
function hostForm(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare.includes(':') ? `[${bare}]` : bare;
}

/**
 * A Host header (or an origin's host) in one form, `name:port` in lower case with the port always
 * written, or null when it is not a plain `host[:port]`. A missing port means `defaultPort`.
 */
function normalHost(value: string, defaultPort: number): string | null {
  if (value === '' || /[\s@/?#\\]/.test(value) || !URL.canParse(`http://${value}`)) return null;
  const explicit = /:(\d+)$/.exec(value)?.[1];
  // URL drops :80 for http, so the port is read from the value itself.
  return `${new URL(`http://${value}`).hostname}:${explicit ? Number(explicit) : defaultPort}`;
}

/** An Origin header's canonical form (`HTTP://LocalHost:80` -> `http://localhost`), or null for `null` and anything that is not `scheme://host[:port]`. */
function normalOrigin(value: string): string | null {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]+$/i.test(value) || !URL.canParse(value)) return null;
  const origin = new URL(value).origin;
  return origin === 'null' ? null : origin;
}

/**
 * Refuses requests that a page of another site makes a browser send: an `Origin` that is not one of
 * the server's own, a `Sec-Fetch-Site` of `cross-site` or `same-site` (another port or subdomain: still
 * not this origin) that is not a plain link followed (a top-level GET, whose answer the other page
 * cannot read), and a `Host` the server does not listen as (DNS
 * rebinding: a name of the attacker's that resolves to 127.0.0.1). Requests without these headers
 * (curl, scripts, probes) are not affected. Applies to every route: reads leak the failure log.
 */
export class RequestGuard {
  /** `name:port` forms of the Host headers accepted. */
  private readonly hosts = new Set<string>();
  /** The same, as listed in messages. */
  private readonly shownHosts: string[] = [];
  private readonly origins = new Set<string>();
  private readonly wildcard: boolean;
  private readonly port: number;

  constructor(address: ServerAddress) {
    const { listenHost, bound, publicUrl } = address;
    this.port = bound.port;
    this.wildcard = isWildcard(listenHost);
    const names = new Set<string>();
    if (isLoopbackHost(listenHost) || isLoopbackHost(bound.address) || this.wildcard)
      for (const n of LOOPBACK_NAMES) names.add(n);
    if (!this.wildcard) {
      names.add(hostForm(listenHost));
      names.add(hostForm(bound.address));
    }
    for (const name of names) this.accept(`${name}:${bound.port}`, `http://${name}:${bound.port}`);
    if (publicUrl) {
      const url = new URL(publicUrl);
      this.accept(url.host, url.origin);
      // Behind a TLS proxy, Host may come with or without the https port.
      if (!url.port && url.protocol === 'https:') this.hosts.add(`${url.hostname}:443`);
    }
  }

  private accept(host: string, origin: string): void {
    this.hosts.add(normalHost(host, 80)!);
    this.shownHosts.push(host);
    this.origins.add(new URL(origin).origin);
  }

  /** The fastify `onRequest` hook. */
  readonly hook = async (request: FastifyRequest): Promise<void> => {
    this.checkHost(request.headers.host);
    this.checkOrigin(request.headers.origin);
    const site = request.headers['sec-fetch-site'];
    const followedLink =
      (request.method === 'GET' || request.method === 'HEAD') &&
      request.headers['sec-fetch-mode'] === 'navigate';
    if ((site === 'cross-site' || site === 'same-site') && !followedLink) {
      throw new HttpError(
        'FORBIDDEN',
        `Sec-Fetch-Site "${site}": the browser says a page of another site or origin sent this request, and the API takes none from other sites; call it from the dashboard, a script or curl`,
      );
    }
  };

  private checkHost(host: string | undefined): void {
    // No Host at all is no browser's request (HTTP/1.0 probes): nothing a page could make.
    if (host === undefined) return;
    const normal = normalHost(host, 80);
    if (normal !== null && (this.hosts.has(normal) || (this.wildcard && this.isOwnAddress(normal)))) return;
    const listed = this.shownHosts.join(', ') + (this.wildcard ? ', or an address of this machine' : '');
    throw new HttpError(
      'FORBIDDEN',
      `Host "${host}" is not a name this server listens as (${listed}): a page of another site may be reaching it through DNS rebinding; to reach Sweeper under another name, set http.publicUrl to its URL`,
    );
  }

  private checkOrigin(origin: string | undefined): void {
    if (origin === undefined) return;
    const normal = normalOrigin(origin);
    if (normal !== null && this.origins.has(normal)) return;
    if (
      normal?.startsWith('http://') &&
      this.wildcard &&
      this.isOwnAddress(normalHost(normal.slice(7), 80) ?? '')
    )
      return;
    throw new HttpError(
      'FORBIDDEN',
      `Origin "${origin}" is not this server's own (${[...this.origins].join(', ')}): the API takes no calls from pages of other sites; if this is Sweeper's address behind a proxy, set http.publicUrl to it`,
    );
  }

  /** Listening on 0.0.0.0 / ::: any address of this machine (read now: interfaces come and go), or its host name. */
  private isOwnAddress(normal: string): boolean {
    const suffix = `:${this.port}`;
    if (!normal.endsWith(suffix)) return false;
    const name = normal.slice(0, -suffix.length);
    if (name === hostForm(machineName())) return true;
    return Object.values(networkInterfaces())
      .flat()
      .some((i) => i !== undefined && hostForm(i.address) === name);
  }
}
