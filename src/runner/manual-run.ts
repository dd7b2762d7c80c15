import type { App } from '../app';
import type { JobDefinition } from '../config/schema';
import { closestName } from '../did-you-mean';
import { NotFoundError, SweeperError } from '../errors';
import { JobRegistry } from '../scheduler/job-registry';
import { leaseMsFrom } from './runner-deps';

/** The job definition in force with this name, or a NotFoundError naming the closest job and listing the jobs there are. */
export function findJob(app: App, name: string): JobDefinition {
  const job = app.jobs.find((j) => j.name === name);
  if (job) return job;
  const names = app.jobs.map((j) => j.name);
  const close = closestName(name, names);
  throw new NotFoundError(`no job named "${name}" in ${app.config.jobs}${close ? ` (did you mean "${close}"?)` : ''} (jobs: ${names.join(', ') || 'none'})`);
}

/**
 * Creates a run of a job outside its schedule (`run <job>`, or an operator's POST). Refused while the
 * job has a run that has not finished: one run of a job at a time. With `executeHere`, this process
 * holds the run's lease from the start, so a daemon does not take it in between.
 */
export async function createManualRun(app: App, jobName: string, actor: string, options: { executeHere?: boolean } = {}): Promise<number> {
  const job = findJob(app, jobName);
  const registry = new JobRegistry(app.store, app.clock);
  await registry.sync(app.jobs);
  const version = registry.get(job.name)!.version;
  return app.store.transaction(async (trx) => {
    // On Postgres two processes could both see no active run: the job's row serialises them. (SQLite
    // allows one writer at a time anyway.)
    if (app.store.dialect.capabilities.rowLocks) await trx('jobs').where({ name: job.name }).forUpdate().first('name');
    const active = await app.store.runs.active(job.name, trx);
    if (active.length > 0) {
      throw new SweeperError('CONFLICT', `job "${job.name}" already has run ${active[0]!.id} ${active[0]!.status}: wait for it to finish, or cancel it`);
    }
    return app.store.runs.create(
      trx,
      { job: job.name, jobVersion: version, status: 'queued', reason: `run now, asked by ${actor}`, trigger: 'manual', scheduledFor: null, requestedBy: actor, entities: job.queries.map((q) => q.entity), lease: options.executeHere ? { owner: app.owner, until: new Date(app.clock.now().getTime() + leaseMsFrom(app.env)) } : undefined },
      app.clock.now(),
    );
  });
}
