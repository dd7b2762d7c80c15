import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { failurePage, jobDetail, listJobs, listRuns, runDetail } from '../api/queries';
import type { Daemon } from '../daemon';
import {
  failurePageSchema,
  failuresQuery,
  jobNameParams,
  jobSchema,
  runIdParams,
  runSchema,
  runsQuery,
} from './api-schemas';
import type { TokenAuth } from './auth';
import { answer, readErrors, secured } from './route-docs';

/** `GET /api/...`: jobs, runs and the failure log; any valid token may read. */
export function registerReadRoutes(fastify: FastifyInstance, daemon: Daemon, auth: TokenAuth): void {
  const server = fastify.withTypeProvider<ZodTypeProvider>();
  const { app } = daemon;
  const onRequest = auth.hook('read');

  server.get(
    '/api/jobs',
    {
      onRequest,
      schema: {
        operationId: 'listJobs',
        summary: 'Every job: schedule, next run, last outcome, paused',
        ...secured,
        response: { 200: answer('jobs by name', z.array(jobSchema)), ...readErrors },
      },
    },
    () => listJobs(app),
  );

  server.get(
    '/api/jobs/:name',
    {
      onRequest,
      schema: {
        operationId: 'getJob',
        summary: 'One job',
        ...secured,
        params: jobNameParams,
        response: { 200: answer('the job', jobSchema), ...readErrors },
      },
    },
    (request) => jobDetail(app, request.params.name),
  );

  server.get(
    '/api/runs',
    {
      onRequest,
      schema: {
        operationId: 'listRuns',
        summary: 'Run history, newest first',
        ...secured,
        querystring: runsQuery,
        response: { 200: answer('runs, newest first', z.array(runSchema)), ...readErrors },
      },
    },
    (request) => listRuns(app, request.query),
  );

  server.get(
    '/api/runs/:id',
    {
      onRequest,
      schema: {
        operationId: 'getRun',
        summary: 'One run: counts per query, notification status',
        ...secured,
        params: runIdParams,
        response: { 200: answer('the run', runSchema), ...readErrors },
      },
    },
    (request) => runDetail(app, request.params.id),
  );

  server.get(
    '/api/failures',
    {
      onRequest,
      schema: {
        operationId: 'listFailures',
        summary: 'The failure log, newest first, a page at a time (keyset pagination on the id)',
        ...secured,
        querystring: failuresQuery(() => app.clock.now()),
        response: { 200: answer('one page', failurePageSchema), ...readErrors },
      },
    },
    async (request) => {
      const filter = request.query;
      const page = await failurePage(app, filter);
      return {
        items: page.items,
        next: page.nextBefore === null ? null : nextPageUrl(filter, page.nextBefore),
      };
    },
  );
}

/**
 * The next page of the failure log: the same filters with `before=<last id>`, as a URL relative to the
 * server (so it stays right behind a proxy). `since` is written as the instant it meant on the first
 * page, so a duration (`24h`) does not move from page to page.
 */
function nextPageUrl(
  filter: { job?: string; run?: number; entity?: string; code?: string; kind?: string; since?: Date; limit: number },
  before: number,
): string {
  const params = new URLSearchParams();
  if (filter.job !== undefined) params.set('job', filter.job);
  if (filter.run !== undefined) params.set('run', String(filter.run));
  if (filter.entity !== undefined) params.set('entity', filter.entity);
  if (filter.code !== undefined) params.set('code', filter.code);
  if (filter.kind !== undefined) params.set('kind', filter.kind);
  if (filter.since !== undefined) params.set('since', filter.since.toISOString());
  params.set('limit', String(filter.limit));
  params.set('before', String(before));
  return `/api/failures?${params.toString()}`;
}
