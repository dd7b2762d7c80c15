import { request as httpRequest } from 'node:http';
import type { RunJson } from '../../src/api/json';
import type { App } from '../../src/app';
import { Daemon } from '../../src/daemon';
import { SweeperMetrics } from '../../src/metrics/metrics';
import type { HttpServer } from '../../src/http/server';
import { createWorkspace, eventually, type Workspace } from '../support/workspace';

export const OPERATOR_TOKEN = 'operator-token-0123456789';
export const VIEWER_TOKEN = 'viewer-token-0123456789ab';

const DAY = 86_400_000;

/** parents: 100 old rows, every 4th still referenced by a child (a foreign-key failure); slow_rows: 200 old rows. */
export const SCHEMA = `
CREATE TABLE parents (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents(id));
CREATE TABLE slow_rows (id INTEGER PRIMARY KEY, created_at INTEGER NOT NULL);
`;

/** Run by hand only: the one occurrence is far in the future. */
export const PURGE_JOB = `
name: purge-parents
target: app
start: 2099-01-01T00:00:00
queries:
  - entity: parents
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 10 }
`;

/** 40 batches with a pause between them: long enough to pause or cancel mid-run. */
export const SLOW_JOB = `
name: slow-purge
target: app
start: 2099-01-01T00:00:00
queries:
  - entity: slow_rows
    where: { field: created_at, olderThan: 30d }
limits: { batchSize: 5, pauseBetweenBatches: 100ms }
`;

export function seed(ws: Workspace): void {
  const db = ws.target();
  const old = Date.now() - 40 * DAY;
  db.transaction(() => {
    for (let id = 1; id <= 100; id++) {
      db.prepare('INSERT INTO parents (id, created_at) VALUES (?, ?)').run(id, old);
      if (id % 4 === 0) db.prepare('INSERT INTO children (parent_id) VALUES (?)').run(id);
    }
    for (let id = 1; id <= 200; id++)
      db.prepare('INSERT INTO slow_rows (id, created_at) VALUES (?, ?)').run(id, old);
  })();
  db.close();
}

export interface Reply<T> {
  status: number;
  /** The parsed JSON, or the text for other content types. */
  body: T;
  headers: Headers;
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export interface Stack {
  ws: Workspace;
  app: App;
  daemon: Daemon;
  metrics: SweeperMetrics;
  server: HttpServer;
  /** fetch against the server; `token` adds `Authorization: Bearer`. */
  call<T = unknown>(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown },
  ): Promise<Reply<T>>;
  /**
   * A request with exactly these headers (node:http, so `Host` and `Origin` can be anything, as a
   * browser page or a DNS-rebinding attacker would send them) and a raw body.
   */
  raw(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string },
  ): Promise<Reply<unknown>>;
  waitForRun(id: number, until: (status: string) => boolean): Promise<RunJson>;
  stop(): Promise<void>;
}

export function rawRequest(
  url: string,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string } = {},
): Promise<Reply<unknown>> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname.replace(/^\[|\]$/g, ''),
        port,
        method,
        path,
        headers: o.headers,
        setHost: !o.headers?.host,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const isJson = res.headers['content-type']?.includes('application/json');
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (typeof v === 'string') headers.set(k, v);
            // Set-Cookie comes as a list: each one kept (read with headers.getSetCookie()).
            else if (Array.isArray(v)) for (const each of v) headers.append(k, each);
          }
          resolve({ status: res.statusCode!, body: isJson ? (JSON.parse(text) as unknown) : text, headers });
        });
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const TOKENS = `
http:
  listen: "127.0.0.1:0"
  tokens:
    - { name: ops, token: ${OPERATOR_TOKEN}, role: operator }
    - { name: dash, token: ${VIEWER_TOKEN}, role: viewer }
`;

/** A real daemon on a temp SQLite workspace with its HTTP server on a free loopback port. */
export async function startStack(options: { tokens?: boolean; http?: string; jobs?: Record<string, string> } = {}): Promise<Stack> {
  const http = options.http ?? (options.tokens === false ? 'http: { listen: "127.0.0.1:0" }\n' : TOKENS);
  const ws = createWorkspace(SCHEMA, http);
  seed(ws);
  ws.writeJob('purge-parents', PURGE_JOB);
  ws.writeJob('slow-purge', SLOW_JOB);
  for (const [name, yaml] of Object.entries(options.jobs ?? {})) ws.writeJob(name, yaml);
  const app = await ws.open();
  const daemon = new Daemon(app);
  await daemon.start();
  // The daemon starts its own server from `http` in the config, with its own metrics.
  const metrics = daemon.metrics;
  const server = daemon.httpServer!;
  const call = async <T = unknown>(
    method: string,
    path: string,
    o: { token?: string; body?: unknown } = {},
  ): Promise<Reply<T>> => {
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + path, {
      method,
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('application/json');
    return { status: res.status, body: (isJson ? JSON.parse(text) : text) as T, headers: res.headers };
  };
  return {
    ws,
    app,
    daemon,
    metrics,
    server,
    call,
    raw: (method, path, o) => rawRequest(server.url, method, path, o),
    waitForRun: (id, until) =>
      eventually(
        async () => {
          const res = await call<RunJson>('GET', `/api/runs/${id}`, { token: OPERATOR_TOKEN });
          return until(res.body.status) ? res.body : undefined;
        },
        20_000,
        `run ${id} to reach the expected status`,
      ),
    async stop() {
      await server.close();
      await daemon.stop();
    },
  };
}
