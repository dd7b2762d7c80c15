import type { JobDefinition } from '../config/schema';
import { localToInstant } from '../recurrence';
import type { Store } from '../store/store';
import { MISSED_AFTER_MS } from './catch-up';

/** The words every "it never runs" reason holds: a skip recorded with them does not count as the occurrence having happened. */
const NEVER_RUNS = 'is past and the job has no recurrence or cron';

/** The one occurrence of a one-off job (no recurrence, no cron) with a `start`; null for every other job. */
function oneOffStart(job: JobDefinition): Date | null {
  return job.recurrence || job.cron || !job.start ? null : localToInstant(job.start, job.timezone);
}

/**
 * The occurrence of a one-off job whose `start` is past, later than the grace in which a due
 * occurrence still counts as on time (`MISSED_AFTER_MS`); null for every other job.
 */
export function pastOneOffStart(job: JobDefinition, now: Date): Date | null {
  const at = oneOffStart(job);
  return at && now.getTime() - at.getTime() > MISSED_AFTER_MS ? at : null;
}

/** The occurrence of a one-off job that passed moments ago, within the grace: it is still due, on time. */
export function oneOffStillDue(job: JobDefinition, now: Date): Date | null {
  const at = oneOffStart(job);
  return at && at.getTime() <= now.getTime() && !pastOneOffStart(job, now) ? at : null;
}

export function neverRunsReason(job: JobDefinition): string {
  return `start ${job.start} (${job.timezone}) ${NEVER_RUNS}: it would never run; remove start to run it once now, or add a recurrence`;
}

/**
 * Whether the store accounts for a past one-off occurrence: it is still due (registered with this
 * very definition, `hash`, before it passed) or a run, or a skip other than "it never runs", was
 * recorded for it.
 */
export async function oneOffAccountedFor(store: Store, job: JobDefinition, hash: string, at: Date): Promise<boolean> {
  const stored = await store.jobs.get(job.name);
  if (stored && !stored.removedAt && stored.hash === hash && stored.nextRunAt?.getTime() === at.getTime()) return true;
  const runs = await store.runs.forOccurrence(job.name, at);
  return runs.some((r) => !r.reason?.includes(NEVER_RUNS));
}
