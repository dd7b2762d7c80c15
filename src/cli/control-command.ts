import { DateTime } from 'luxon';
import { cancelRun } from '../control/run-control';
import { pauseJob, postponeJob, resumeJob } from '../control/job-control';
import { EXIT, UsageError } from '../errors';
import { cliActor, withApp, type CommandContext } from './context';
import { parseRunId } from './runs-command';

function done(ctx: CommandContext, message: string): number {
  ctx.out(message);
  return EXIT.ok;
}

export function pauseCommand(ctx: CommandContext, job: string, opts: { reason?: string }): Promise<number> {
  return withApp(ctx, async (app) => done(ctx, await pauseJob(app, job, opts.reason, cliActor(ctx))));
}

export function resumeCommand(ctx: CommandContext, job: string, opts: { reason?: string } = {}): Promise<number> {
  return withApp(ctx, async (app) => done(ctx, await resumeJob(app, job, cliActor(ctx), opts.reason)));
}

export function cancelCommand(ctx: CommandContext, id: string): Promise<number> {
  const runId = parseRunId(id);
  return withApp(ctx, async (app) => done(ctx, await cancelRun(app, runId, cliActor(ctx))));
}

/** `--until` is an ISO-8601 time; without an offset it is read in the config's time zone. */
export function postponeCommand(ctx: CommandContext, job: string, opts: { until?: string }): Promise<number> {
  if (!opts.until) throw new UsageError('postpone needs --until TIME, e.g. --until 2026-12-24T08:00');
  const text = opts.until;
  return withApp(ctx, async (app) => {
    const until = DateTime.fromISO(text, { zone: app.config.timezone });
    if (!until.isValid) throw new UsageError(`--until "${text}" is not an ISO-8601 time like 2026-12-24T08:00 (read in ${app.config.timezone})`);
    return done(ctx, await postponeJob(app, job, until.toJSDate(), cliActor(ctx)));
  });
}
