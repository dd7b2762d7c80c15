/**
 * The read queries behind both the CLI's `--json` and the HTTP API: the same objects either way.
 */
import type { App } from '../app';
import { NotFoundError } from '../errors';
import { failureJson, jobJson, runJson, type FailureJson, type JobJson, type RunJson } from './json';
import type { FailureFilter } from '../store/failures-repository';
import type { JobRecord } from '../store/jobs-repository';
import type { RunFilter, RunRecord, RunStatus } from '../store/runs-repository';
import { lastFinishedRuns } from '../store/last-runs';

/** Every scheduled job (not removed), by name, with its last finished run. */
export async function listJobs(app: App): Promise<JobJson[]> {
  const [jobs, lastRuns] = await Promise.all([app.store.jobs.listing(), lastFinishedRuns(app.store.db)]);
  const now = app.clock.now();
  return jobs.map((j) => jobJson(j, lastRuns.get(j.name) ?? null, now));
}

/** One job as stored; a job whose file was removed is not found. */
export async function jobDetail(app: App, name: string): Promise<JobJson> {
  const job = await app.store.jobs.get(name);
  if (!job || job.removedAt)
    throw new NotFoundError(`no job named "${name}": list jobs with "sweeper jobs" or GET /api/jobs`);
  return jobJson(job, await app.store.runs.lastFinished(name), app.clock.now());
}

/** One run: counts per query and notification status. */
export async function runDetail(app: App, id: number): Promise<RunJson> {
  const run = await app.store.runs.get(id);
  if (!run) throw new NotFoundError(`run ${id} does not exist: list runs with "sweeper runs"`);
  return runJson(run, await app.store.runs.queries(id), await app.store.outbox.forRun(id), await app.store.archive.ofRun(id));
}

/** Run history, newest first, each run in full. */
export async function listRuns(app: App, filter: RunFilter): Promise<RunJson[]> {
  const runs = await app.store.runs.list(filter);
  return Promise.all(runs.map((r) => runDetail(app, r.id)));
}

/**
 * One page of the failure log, newest first. Fetches one more than `limit` to know whether another
 * page exists; `nextBefore` is the keyset cursor for it (`before=<id>`), or null on the last page.
 */
/** Which failure log: the records runs could not delete (default), or those restores could not put back. */
export type FailureKind = 'delete' | 'restore';

/** The failure log of one kind, newest first, as JSON: one home for the CLI, the API and the dashboard. */
export async function failureLog(app: App, filter: FailureFilter & { kind?: FailureKind }): Promise<FailureJson[]> {
  if (filter.kind === 'restore') return (await app.store.archive.listRestoreFailures(filter)).map(failureJson);
  return (await app.store.failures.list(filter)).map(failureJson);
}

export async function failurePage(
  app: App,
  filter: FailureFilter & { limit: number; kind?: FailureKind },
): Promise<{ items: FailureJson[]; nextBefore: number | null }> {
  const rows = await failureLog(app, { ...filter, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  return { items: page, nextBefore: rows.length > filter.limit ? page[page.length - 1]!.id : null };
}

/** One job as the dashboard's jobs page shows it: the stored job, its last finished run, its recent runs. */
export interface JobOverview {
  job: JobRecord;
  lastRun: RunRecord | null;
  /** The last runs (skips included), newest first. */
  recent: { id: number; status: RunStatus }[];
}

/** Runs shown per job in the jobs page's bar of recent runs. */
export const RECENT_RUNS = 20;

/** Every scheduled job with its last finished run and its last `RECENT_RUNS` runs. */
export async function jobOverviews(app: App): Promise<JobOverview[]> {
  const jobs = await app.store.jobs.list();
  return Promise.all(
    jobs.map(async (job) => ({
      job,
      lastRun: await app.store.runs.lastFinished(job.name),
      recent: await app.store.runs.recentStatuses(job.name, RECENT_RUNS),
    })),
  );
}

/** Everything the run page shows: the run, its state changes with who asked, failures by code, its email, a stop asked for. */
export async function runPageData(app: App, id: number, examplesPerCode: number) {
  const run = await runDetail(app, id);
  const [events, failureGroups, notification, stopRequested, restoreFailures] = await Promise.all([
    app.store.runs.events(id),
    app.store.failures.byCode(id, examplesPerCode),
    app.store.outbox.forRun(id),
    app.store.runs.stopRequest(id),
    app.store.archive.restoreFailureCount(id),
  ]);
  return { run, events, failureGroups, notification, stopRequested, restoreFailures };
}
