import { listJobs } from '../api/queries';
import { EXIT } from '../errors';
import { JobRegistry } from '../scheduler/job-registry';
import { printJson, withApp, type CommandContext } from './context';
import { formatTime, renderTable } from './table';

/** `sweeper jobs`: name, target, schedule, next run, last outcome, paused. */
export async function jobsCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  return withApp(ctx, async (app) => {
    // The listing shows the files as they are now, even before a daemon has started.
    await new JobRegistry(app.store, app.clock).sync(app.jobs);
    const jobs = await listJobs(app);
    if (opts.json) printJson(ctx, jobs);
    else if (jobs.length === 0) ctx.out(`no jobs: add job files to ${app.config.jobs}`);
    else {
      ctx.out(
        renderTable(
          ['JOB', 'TARGET', 'SCHEDULE', 'NEXT RUN (UTC)', 'LAST RUN', 'PAUSED'],
          jobs.map((j) => [j.name, j.target, j.schedule, formatTime(j.nextRunAt), j.lastRun ? `#${j.lastRun.id} ${j.lastRun.status}` : '-', j.paused ? 'yes' : 'no']),
        ),
      );
    }
    return EXIT.ok;
  });
}
