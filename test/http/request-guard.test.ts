import { networkInterfaces } from 'node:os';
import type { FastifyRequest } from 'fastify';
import type { RunJson } from '../../src/api/json';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/errors';
import { RequestGuard } from '../../src/http/request-guard';
import { createWorkspace } from '../support/workspace';
import { startStack, type ErrorBody, type Stack } from './harness';

const EVIL = 'https://evil.example';

describe('HTTP API refuses requests from other sites (no tokens, loopback)', () => {
  let stack: Stack;
  let port: string;
  const parentsLeft = () => {
    const db = stack.ws.target();
    try {
      return (db.prepare('SELECT count(*) AS n FROM parents').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    stack = await startStack({ tokens: false });
    port = new URL(stack.server.url).port;
  });
  afterEach(async () => {
    await stack.stop();
  });

  it('refuses a cross-origin POST with text/plain (a "simple" request any page can send): 403, no run, nothing deleted', async () => {
    const res = await stack.raw('POST', '/api/jobs/purge-parents/run', {
      headers: { origin: EVIL, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: expect.stringContaining(`Origin "${EVIL}" is not this server's own`),
      },
    });
    expect((res.body as ErrorBody).error.message).toContain('http.publicUrl');
    // A form post from another page, and an Origin of "null" (sandboxed frames), likewise.
    const form = await stack.raw('POST', '/api/jobs/purge-parents/run', {
      headers: { origin: 'null', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    expect([form.status, (form.body as ErrorBody).error.message]).toEqual([
      403,
      expect.stringContaining('Origin "null"'),
    ]);
    expect(await stack.app.store.runs.list({})).toEqual([]);
    expect(parentsLeft()).toBe(100);
  });

  it('refuses reads from another origin too (the failure log is not for other sites)', async () => {
    for (const path of ['/api/failures', '/api/jobs', '/metrics', '/healthz', '/openapi.json', '/nope']) {
      const res = await stack.raw('GET', path, {
        headers: { origin: `http://localhost:${Number(port) + 1}` },
      });
      expect([path, res.status]).toEqual([path, 403]);
    }
  });

  it('refuses a request the browser marks Sec-Fetch-Site: cross-site or same-site even without an Origin header', async () => {
    const res = await stack.raw('GET', '/api/failures', {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' },
    });
    expect(res.status).toBe(403);
    expect((res.body as ErrorBody).error.message).toMatch(/^Sec-Fetch-Site "cross-site": .*another site/);
    // Another port of localhost is the same site, but not this origin.
    const sameSite = await stack.raw('GET', '/api/failures', {
      headers: { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' },
    });
    expect([sameSite.status, (sameSite.body as ErrorBody).error.message]).toEqual([
      403,
      expect.stringMatching(/^Sec-Fetch-Site "same-site"/),
    ]);
    expect(
      (await stack.raw('GET', '/api/failures', { headers: { 'sec-fetch-site': 'same-origin' } })).status,
    ).toBe(200);
    // A link followed from another site (an email's link to a run) is a top-level GET: nothing is read by the other site.
    const link = await stack.raw('GET', '/api/jobs', {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' },
    });
    expect(link.status).toBe(200);
    const post = await stack.raw('POST', '/api/jobs/purge-parents/pause', {
      headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' },
    });
    expect(post.status).toBe(403);
    expect((await stack.app.store.jobs.get('purge-parents'))!.paused).toBe(false);
  });

  it("allows the server's own origins, and requests without an Origin (curl, scripts)", async () => {
    for (const origin of [stack.server.url, `http://localhost:${port}`, `http://[::1]:${port}`]) {
      const res = await stack.raw('GET', '/api/jobs', {
        headers: { origin, 'sec-fetch-site': 'same-origin' },
      });
      expect([origin, res.status]).toEqual([origin, 200]);
    }
    const paused = await stack.raw('POST', '/api/jobs/purge-parents/pause', {
      headers: { origin: stack.server.url, 'content-type': 'application/json' },
      body: '{"reason":"from the dashboard"}',
    });
    expect(paused.status).toBe(200);
    const run = await stack.raw('POST', '/api/jobs/purge-parents/run');
    expect(run.status).toBe(202);
    await stack.waitForRun((run.body as RunJson).id, (s) => s === 'completed_with_failures');
    expect(parentsLeft()).toBe(25);
  });

  it('refuses a Host it does not listen as (DNS rebinding), on every route, and accepts the loopback names', async () => {
    for (const path of ['/api/jobs', '/healthz', '/api/jobs/purge-parents/run']) {
      const method = path.endsWith('/run') ? 'POST' : 'GET';
      const res = await stack.raw(method, path, { headers: { host: `rebind.evil.example:${port}` } });
      expect([path, res.status]).toEqual([path, 403]);
      expect((res.body as ErrorBody).error).toEqual({
        code: 'FORBIDDEN',
        message: `Host "rebind.evil.example:${port}" is not a name this server listens as (127.0.0.1:${port}, localhost:${port}, [::1]:${port}): a page of another site may be reaching it through DNS rebinding; to reach Sweeper under another name, set http.publicUrl to its URL`,
      });
    }
    expect(
      (await stack.raw('GET', '/api/jobs', { headers: { host: `127.0.0.1:${Number(port) + 1}` } })).status,
    ).toBe(403);
    expect(await stack.app.store.runs.list({})).toEqual([]);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const res = await stack.raw('GET', '/api/jobs', { headers: { host } });
      expect([host, res.status]).toEqual([host, 200]);
    }
  });
});

describe('HTTP API behind a proxy (http.publicUrl)', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({
      http: 'http: { listen: "127.0.0.1:0", publicUrl: "https://sweeper.example.com/" }\n',
    });
  });
  afterEach(async () => {
    await stack.stop();
  });

  it("accepts the public URL's host and origin, not another scheme or port of it", async () => {
    const ok = await stack.raw('GET', '/api/jobs', {
      headers: { host: 'sweeper.example.com', origin: 'https://sweeper.example.com' },
    });
    expect(ok.status).toBe(200);
    for (const origin of [
      'http://sweeper.example.com',
      'https://sweeper.example.com:8443',
      'https://example.com',
    ]) {
      const res = await stack.raw('GET', '/api/jobs', { headers: { host: 'sweeper.example.com', origin } });
      expect([origin, res.status]).toEqual([origin, 403]);
    }
    expect((await stack.raw('GET', '/api/jobs', { headers: { host: 'other.example.com' } })).status).toBe(
      403,
    );
  });
});

describe('http.publicUrl in the config', () => {
  it('must be an http(s) URL', () => {
    const ws = createWorkspace('', 'http: { listen: "127.0.0.1:0", publicUrl: "sweeper.example.com" }\n');
    expect(() => loadConfig(ws.configFile, {})).toThrow(ConfigError);
    expect(() => loadConfig(ws.configFile, {})).toThrow(
      /http\.publicUrl: "sweeper\.example\.com" is not an http\(s\) URL: write it as the dashboard's address, e\.g\. https:\/\/sweeper\.example\.com/,
    );
  });
});

describe('RequestGuard listening on every interface (0.0.0.0)', () => {
  const guard = new RequestGuard({
    listenHost: '0.0.0.0',
    bound: { address: '0.0.0.0', family: 'IPv4', port: 8787 },
  });
  const check = (headers: Record<string, string>) =>
    guard.hook({ method: 'GET', headers } as unknown as FastifyRequest);
  const address = Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === 'IPv4' && !i.internal)?.address;

  it("accepts the loopback names and this machine's addresses, and refuses other names", async () => {
    await expect(check({ host: 'localhost:8787' })).resolves.toBeUndefined();
    await expect(check({ host: '127.0.0.1:8787', origin: 'http://127.0.0.1:8787' })).resolves.toBeUndefined();
    if (address) {
      await expect(
        check({ host: `${address}:8787`, origin: `http://${address}:8787` }),
      ).resolves.toBeUndefined();
      await expect(check({ host: `${address}:8788` })).rejects.toThrow(
        /is not a name this server listens as/,
      );
    }
    await expect(check({ host: 'rebind.evil.example:8787' })).rejects.toThrow(
      'Host "rebind.evil.example:8787" is not a name this server listens as (127.0.0.1:8787, localhost:8787, [::1]:8787, or an address of this machine)',
    );
    await expect(
      check({ host: 'localhost:8787', origin: 'http://rebind.evil.example:8787' }),
    ).rejects.toThrow(/^Origin "http:\/\/rebind.evil.example:8787" is not this server's own/);
    await expect(check({ host: 'evil.example@localhost:8787' })).rejects.toThrow(/is not a name/);
  });
});
