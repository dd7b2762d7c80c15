import type { App } from '../app';
import { UsageError } from '../errors';
import { findJob } from '../runner/manual-run';
import { definitionHash, JobRegistry } from '../scheduler/job-registry';

/**
 * The job as stored, found from the job files: a job whose file is there but that no daemon has
 * registered yet (a fresh state store, a file just added) is registered first, as `start` would.
 */
async function existingJob(app: App, name: string) {
  const definition = findJob(app, name);
  const stored = await app.store.jobs.get(name);
  if (stored && !stored.removedAt && stored.hash === definitionHash(definition)) return stored;
  await new JobRegistry(app.store, app.clock).sync(app.jobs);
  return (await app.store.jobs.get(name))!;
}

/**
 * Holds a job: its occurrences are recorded as `skipped` (reason paused) and a run in progress stops at
 * its next batch boundary with status `paused`, its checkpoint kept for `resume`.
 */
export async function pauseJob(app: App, name: string, reason: string | undefined, actor: string): Promise<string> {
  await existingJob(app, name);
  const why = reason ?? 'paused by an operator';
  const now = app.clock.now();
  await app.store.jobs.control(name, { paused: true, pausedReason: why }, { action: 'pause', reason: why, actor }, now);
  const stopping: number[] = [];
  for (const run of await app.store.runs.active(name)) {
    if (run.status === 'running') {
      if (await app.store.runs.requestStop(run.id, 'pause', actor, now)) stopping.push(run.id);
    } else if (run.status === 'queued' || run.status === 'interrupted') {
      // Compare-and-set: if a daemon took it meanwhile, it is running now and is asked to pause.
      if (!(await app.store.runs.pauseWaiting({ runId: run.id, from: run.status, reason: `job paused by ${actor}: ${why}`, actor, now }))) {
        if (await app.store.runs.requestStop(run.id, 'pause', actor, now)) stopping.push(run.id);
      }
    }
  }
  return stopping.length > 0 ? `job ${name} paused; run ${stopping.join(', ')} stops at its next batch boundary` : `job ${name} paused`;
}

/** Lets a paused job run again (`reason`: why, kept in the job history); its paused runs continue from their checkpoints. */
export async function resumeJob(app: App, name: string, actor: string, reason?: string): Promise<string> {
  const job = await existingJob(app, name);
  if (!job.paused) return `job ${name} is not paused`;
  await app.store.jobs.control(name, { paused: false, pausedReason: null }, { action: 'resume', reason: reason ?? 'resumed', actor }, app.clock.now());
  const paused = (await app.store.runs.active(name)).filter((r) => r.status === 'paused');
  return paused.length > 0 ? `job ${name} resumed; run ${paused.map((r) => r.id).join(', ')} continues from its checkpoint` : `job ${name} resumed`;
}

/** Skips a job's occurrences before `until` (each recorded as skipped, reason postponed). */
export async function postponeJob(app: App, name: string, until: Date, actor: string): Promise<string> {
  await existingJob(app, name);
  const now = app.clock.now();
  if (until.getTime() <= now.getTime()) throw new UsageError(`--until ${until.toISOString()} is not in the future`);
  await app.store.jobs.control(name, { postponedUntil: until }, { action: 'postpone', reason: `postponed until ${until.toISOString()}`, actor }, now);
  return `job ${name} postponed until ${until.toISOString()}`;
}
