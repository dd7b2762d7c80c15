import type { Problem } from '../errors';
import { definitionHash } from '../scheduler/job-registry';
import { oneOffAccountedFor, neverRunsReason, pastOneOffStart } from '../scheduler/one-off-start';
import type { Store } from '../store/store';
import type { Targets } from '../targets/registry';
import { checkJobsAgainstTargets } from './check-targets';
import type { JobDefinition } from './schema';

export interface JobCheckContext {
  targets: Targets;
  /** The state store, or null when there is none yet (validate before the first start). */
  store: Store | null;
  configFile: string;
  now: Date;
  /** Jobs refused for other problems whose queries are still checked against their targets (validate). */
  queriesOf?: JobDefinition[];
}

/**
 * A one-off job whose start is past and that never ran would never run: a problem of its file.
 * A store that accounts for the occurrence (due, run or skipped) means it already happened.
 */
async function checkOneOffStarts(jobs: JobDefinition[], store: Store | null, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const job of jobs) {
    const at = pastOneOffStart(job, now);
    if (at && !(store && (await oneOffAccountedFor(store, job, definitionHash(job), at)))) problems.push({ file: job.file, path: 'start', message: neverRunsReason(job) });
  }
  return problems;
}

/**
 * Every check of the loaded jobs that needs the targets or the state store, in one place for
 * validate, start, run and reload alike: targets open, entities and fields exist, statements compile
 * within the driver's limits, and a one-off job can still run (for `queriesOf`, the targets' checks only).
 */
export async function checkJobs(jobs: JobDefinition[], ctx: JobCheckContext): Promise<Problem[]> {
  const againstTargets = await checkJobsAgainstTargets([...jobs, ...(ctx.queriesOf ?? [])], ctx.targets, ctx.configFile, ctx.now);
  return [...againstTargets, ...(await checkOneOffStarts(jobs, ctx.store, ctx.now))];
}
