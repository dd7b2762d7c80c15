import { readJobs, type App } from '../app';
import { listJobs } from '../api/queries';
import { jobFolderInStep, recordJobFolderInStep } from '../config/job-folder-stamp';
import { EXIT } from '../errors';
import { JobRegistry } from '../scheduler/job-registry';
import { withApp, type CommandContext } from './context';
import { isStructured, outputFormat, printListing, type OutputFormat, type OutputOptions } from './output';
import { formatMinute, formatTime } from './table';

/** `sweeper jobs`: name, target, schedule, next run, last outcome, paused (or postponed until when). */
export async function jobsCommand(ctx: CommandContext, opts: OutputOptions): Promise<number> {
  const format = outputFormat(opts);
  return withApp(
    ctx,
    async (app) => {
      // The listing shows the files as they are now, even before a daemon has started: read and synced,
      // unless the folder is as the last sync left it (src/config/job-folder-stamp.ts).
      if (!(await jobFolderInStep(app.store, app.config))) {
        const read = await readJobs(app.config, app.store, app.env);
        await new JobRegistry(app.store, app.clock).sync(read.jobs);
        await recordJobFolderInStep({ store: app.store, config: app.config, names: read.names, cache: read.jobFiles, now: Date.now() });
      }
      return printJobs(ctx, format, app);
    },
    false,
    { readJobs: false },
  );
}

async function printJobs(ctx: CommandContext, format: OutputFormat, app: App): Promise<number> {
  const jobs = await listJobs(app);
  if (jobs.length === 0 && !isStructured(format)) {
    ctx.out(`no jobs: add job files to ${app.config.jobs}`);
    return EXIT.ok;
  }
  printListing(ctx, format, {
    items: jobs,
    columns: [
      { header: 'JOB', kind: 'text' },
      { header: 'TARGET' },
      { header: 'SCHEDULE', kind: 'text' },
      { header: 'ZONE', wide: true },
      { header: 'NEXT RUN (UTC)' },
      { header: 'LAST RUN', kind: 'text' },
      { header: 'PAUSED' },
    ],
    rows: jobs.map((j) => [
      j.name,
      j.target,
      j.schedule,
      j.timezone,
      format === 'wide' ? formatTime(j.nextRunAt) : formatMinute(j.nextRunAt),
      j.lastRun ? `#${j.lastRun.id} ${j.lastRun.status}` : '-',
      j.paused ? 'yes' : j.postponedUntil ? `until ${format === 'wide' ? formatTime(j.postponedUntil) : formatMinute(j.postponedUntil)}` : 'no',
    ]),
    csv: {
      headers: ['name', 'target', 'schedule', 'timezone', 'nextRunAt', 'paused', 'postponedUntil', 'lastRunId', 'lastRunStatus', 'lastRunFinishedAt'],
      rows: jobs.map((j) => [j.name, j.target, j.schedule, j.timezone, j.nextRunAt, j.paused, j.postponedUntil, j.lastRun?.id, j.lastRun?.status, j.lastRun?.finishedAt]),
    },
  });
  return EXIT.ok;
}
