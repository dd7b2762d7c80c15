import type { FastifyInstance } from 'fastify';
import { jobOverviews, runDetail, runPageData } from '../api/queries';
import { restoreRun } from '../archive/restore';
import type { App } from '../app';
import { NotFoundError, UsageError } from '../errors';
import {
  limitParam,
  optionalPositiveInt,
  positiveInt,
  runStatusParam,
  sinceParam,
  text,
  type Params,
} from './params';
import { EXAMPLES_PER_CODE } from '../notify/templates';
import { findJob } from '../runner/manual-run';
import { previewJob } from '../runner/preview';
import type { FailureFilter } from '../store/failures-repository';
import { failuresCsv, failuresJsonArray } from './failures-export';
import { FAILURES_PAGE_SIZE, failuresPage, type FailureRow, type FailuresFormValues } from './failures-page';
import { jobPage, jobRunsPart, previewPage } from './job-page';
import { jobsPage, jobsTable } from './jobs-page';
import { keysetPage } from './keyset';
import { restorePage } from './restore-page';
import { runLivePart, runPage } from './run-page';
import { runsPage } from './runs-page';
import { sendPage, type Context } from './send-page';

/** Runs per page of the runs page and of a job's page. */
const RUNS_PAGE_SIZE = 50;
const JOB_RUNS = 20;

async function storedJob(app: App, name: string) {
  const job = await app.store.jobs.get(name);
  if (!job || job.removedAt) throw new NotFoundError(`no job named "${name}": the jobs page lists them`);
  return job;
}

/** The failure filters of a query string, as `sweeper failures` takes them. */
function failureFilter(
  app: App,
  q: Params | undefined,
): { filter: FailureFilter; values: FailuresFormValues } {
  const values: FailuresFormValues = {
    job: text(q, 'job'),
    run: text(q, 'run'),
    entity: text(q, 'entity'),
    code: text(q, 'code'),
    kind: text(q, 'kind'),
    since: text(q, 'since'),
    limit: text(q, 'limit'),
  };
  if (values.kind !== undefined && values.kind !== 'delete' && values.kind !== 'restore')
    throw new UsageError(`kind "${values.kind}" is not a failure log (one of: delete, restore)`);
  const filter = {
    job: values.job,
    run: optionalPositiveInt(q, 'run'),
    entity: values.entity,
    code: values.code,
    since: sinceParam(q, app.clock.now()),
  };
  return { filter, values };
}

function cursor(q: Params | undefined, fallback: number, max: number) {
  const before = optionalPositiveInt(q, 'before');
  const after = optionalPositiveInt(q, 'after');
  if (before !== undefined && after !== undefined)
    throw new UsageError('give either before or after, not both');
  return { limit: limitParam(q, fallback, max), before, after };
}

/** The dashboard's pages (GET): any signed-in principal may read them. */
export function registerReadPages(ui: FastifyInstance, app: App, context: Context): void {
  ui.get('/', (_request, reply) => reply.redirect('/ui/jobs', 303));

  ui.get<{ Querystring: Params }>('/jobs', async (request, reply) => {
    const jobs = await jobOverviews(app);
    const now = app.clock.now();
    if (request.query.part === 'table') return sendPage(reply, jobsTable(jobs, now));
    return sendPage(reply, jobsPage(context(request, reply), jobs, now));
  });

  ui.get<{ Params: { name: string }; Querystring: Params }>('/jobs/:name', async (request, reply) => {
    const job = await storedJob(app, request.params.name);
    const runs = await app.store.runs.list({ job: job.name, limit: JOB_RUNS });
    if (request.query.part === 'runs') return sendPage(reply, jobRunsPart(job, runs));
    const events = await app.store.jobs.events(job.name);
    return sendPage(reply, jobPage(context(request, reply), { job, runs, events, now: app.clock.now() }));
  });

  ui.get<{ Params: { name: string } }>('/jobs/:name/preview', async (request, reply) => {
    const job = await storedJob(app, request.params.name);
    const preview = await previewJob(findJob(app, job.name), app.targets, app.clock.now());
    return sendPage(reply, previewPage(context(request, reply), { job, preview }));
  });

  ui.get<{ Querystring: Params }>('/runs', async (request, reply) => {
    const q = request.query;
    const filter = { job: text(q, 'job'), status: runStatusParam(q) };
    const c = cursor(q, RUNS_PAGE_SIZE, 500);
    const runs = await keysetPage(c, (k) => app.store.runs.list({ ...filter, ...k }));
    const jobs = (await app.store.jobs.list({ includeRemoved: true })).map((j) => j.name);
    if (filter.job && !jobs.includes(filter.job)) jobs.push(filter.job);
    return sendPage(reply, runsPage(context(request, reply), { filter, jobs, runs, limit: c.limit }));
  });

  ui.get<{ Params: { id: string }; Querystring: Params }>('/runs/:id', async (request, reply) => {
    const id = positiveInt(request.params.id, 'run id');
    const data = await runPageData(app, id, EXAMPLES_PER_CODE);
    const timezone = (await app.store.jobs.get(data.run.job))?.timezone ?? app.config.timezone;
    const full = { ...data, now: app.clock.now(), timezone };
    const ctx = context(request, reply);
    if (request.query.part === 'live') return sendPage(reply, runLivePart(ctx, full));
    return sendPage(reply, runPage(ctx, full));
  });

  ui.get<{ Params: { id: string } }>('/runs/:id/restore', async (request, reply) => {
    const id = positiveInt(request.params.id, 'run id');
    const run = await runDetail(app, id);
    const plan = await restoreRun({ store: app.store, targets: app.targets, clock: app.clock }, { runId: id, dryRun: true, actor: 'ui' });
    return sendPage(reply, restorePage(context(request, reply), { run, plan }));
  });

  ui.get<{ Querystring: Params }>('/failures', async (request, reply) => {
    const q = request.query;
    const { filter, values } = failureFilter(app, q);
    const c = cursor(q, FAILURES_PAGE_SIZE, 1000);
    const failures = await keysetPage<FailureRow>(c, (k) =>
      values.kind === 'restore'
        ? app.store.archive.listRestoreFailures({ ...filter, ...k })
        : app.store.failures.list({ ...filter, ...k }),
    );
    const jobs = (await app.store.jobs.list({ includeRemoved: true })).map((j) => j.name);
    return sendPage(
      reply,
      failuresPage(context(request, reply), {
        values,
        jobs,
        failures,
        limit: c.limit,
        sinceInstant: filter.since,
      }),
    );
  });

  /** The filtered set of the failure log shown (`kind=restore`: the restore failures), every record of it. */
  const download = (q: Params | undefined) => {
    const { filter, values } = failureFilter(app, q);
    return values.kind === 'restore'
      ? { records: app.store.archive.eachRestoreFailure(filter), name: 'sweeper-restore-failures' }
      : { records: app.store.failures.each(filter), name: 'sweeper-failures' };
  };

  ui.get<{ Querystring: Params }>('/failures.csv', (request, reply) => {
    const { records, name } = download(request.query);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .header('cache-control', 'no-store')
      .send(failuresCsv(records));
  });

  ui.get<{ Querystring: Params }>('/failures.json', (request, reply) => {
    const { records, name } = download(request.query);
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.json"`)
      .header('cache-control', 'no-store')
      .send(failuresJsonArray(records));
  });
}
