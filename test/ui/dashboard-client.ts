import type { Reply, Stack } from '../http/harness';

/** A browser's part in a dashboard test without a browser: the session cookie, CSRF tokens, forms. */
export interface DashboardClient {
  cookie: string | null;
  get(path: string, headers?: Record<string, string>): Promise<Reply<string>>;
  post(
    path: string,
    fields: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<Reply<string>>;
  /** The CSRF token of the forms on a page. */
  csrfOf(path: string): Promise<string>;
}

export function csrfIn(page: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(page);
  if (!match) throw new Error(`no CSRF field on the page:\n${page.slice(0, 2000)}`);
  return match[1]!;
}

/** A client of the dashboard of `stack`, or of any server reached through a `raw` request function. */
export function dashboardClient(stack: Pick<Stack, 'raw'>): DashboardClient {
  const client: DashboardClient = {
    cookie: null,
    async get(path, headers = {}) {
      const res = await stack.raw('GET', path, {
        headers: { ...(client.cookie ? { cookie: client.cookie } : {}), ...headers },
      });
      return res as Reply<string>;
    },
    async post(path, fields, headers = {}) {
      const res = await stack.raw('POST', path, {
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(client.cookie ? { cookie: client.cookie } : {}),
          ...headers,
        },
        body: new URLSearchParams(fields).toString(),
      });
      return res as Reply<string>;
    },
    async csrfOf(path) {
      return csrfIn((await client.get(path)).body);
    },
  };
  return client;
}

/** Signs in with `token` through the sign-in form; the client keeps the session cookie. */
export async function signIn(client: DashboardClient, token: string): Promise<Reply<string>> {
  const csrf = await client.csrfOf('/ui/sign-in');
  const res = await client.post('/ui/sign-in', { csrf, token, next: '/ui/jobs' });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => /^(sweeper_session=[^;]*)/.exec(c)?.[1])
    .find(Boolean);
  if (res.status !== 303 || !cookie)
    throw new Error(`sign-in failed: ${res.status} ${res.body.slice(0, 500)}`);
  client.cookie = cookie;
  return res;
}
