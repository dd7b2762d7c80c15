import type { FastifyInstance } from 'fastify';
import { failurePage, jobDetail, listJobs, listRuns, runDetail } from '../api/queries';
import type { Daemon } from '../daemon';
import type { TokenAuth } from './auth';
import {
  limitParam,
  optionalPositiveInt,
  positiveInt,
  runStatusParam,
  sinceParam,
  text,
  type Params,
} from './params';

/** Failures per page by default, and at most. */
const FAILURES_LIMIT = { fallback: 100, max: 1000 };
/** Runs per listing by default (as the CLI), and at most. */
const RUNS_LIMIT = { fallback: 20, max: 500 };

/** `GET /api/...`: jobs, runs and the failure log; any valid token may read. */
export function registerReadRoutes(server: FastifyInstance, daemon: Daemon, auth: TokenAuth): void {
  const { app } = daemon;
  const onRequest = auth.hook('read');

  server.get('/api/jobs', { onRequest }, () => listJobs(app));

  server.get<{ Params: { name: string } }>('/api/jobs/:name', { onRequest }, (request) =>
    jobDetail(app, request.params.name),
  );

  server.get<{ Querystring: Params }>('/api/runs', { onRequest }, (request) =>
    listRuns(app, {
      job: text(request.query, 'job'),
      status: runStatusParam(request.query),
      limit: limitParam(request.query, RUNS_LIMIT.fallback, RUNS_LIMIT.max),
    }),
  );

  server.get<{ Params: { id: string } }>('/api/runs/:id', { onRequest }, (request) =>
    runDetail(app, positiveInt(request.params.id, 'run id')),
  );

  server.get<{ Querystring: Params }>('/api/failures', { onRequest }, async (request) => {
    const q = request.query;
    const filter = {
      job: text(q, 'job'),
      run: optionalPositiveInt(q, 'run'),
      entity: text(q, 'entity'),
      code: text(q, 'code'),
      since: sinceParam(q, app.clock.now()),
      limit: limitParam(q, FAILURES_LIMIT.fallback, FAILURES_LIMIT.max),
      before: optionalPositiveInt(q, 'before'),
    };
    const page = await failurePage(app, filter);
    return {
      items: page.items,
      next: page.nextBefore === null ? null : nextPageUrl(filter, page.nextBefore),
    };
  });
}

/**
 * The next page of the failure log: the same filters with `before=<last id>`, as a URL relative to the
 * server (so it stays right behind a proxy). `since` is written as the instant it meant on the first
 * page, so a duration (`24h`) does not move from page to page.
 */
function nextPageUrl(
  filter: { job?: string; run?: number; entity?: string; code?: string; since?: Date; limit: number },
  before: number,
): string {
  const params = new URLSearchParams();
  if (filter.job !== undefined) params.set('job', filter.job);
  if (filter.run !== undefined) params.set('run', String(filter.run));
  if (filter.entity !== undefined) params.set('entity', filter.entity);
  if (filter.code !== undefined) params.set('code', filter.code);
  if (filter.since !== undefined) params.set('since', filter.since.toISOString());
  params.set('limit', String(filter.limit));
  params.set('before', String(before));
  return `/api/failures?${params.toString()}`;
}
