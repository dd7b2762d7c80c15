import type { JobDefinition } from '../config/schema';
import type { CheckedSchedule } from '../recurrence';

/**
 * The schedule each job definition was checked with when its file was read, kept per definition
 * object until the registry takes it: a start builds each new job's schedule once, not once to check
 * the file and again to register the job.
 */
const checked = new WeakMap<JobDefinition, CheckedSchedule>();

export function keepCheckedSchedule(job: JobDefinition, schedule: CheckedSchedule): void {
  checked.set(job, schedule);
}

/** The checked schedule of this very definition object, once; undefined when none was kept (or it was taken). */
export function takeCheckedSchedule(job: JobDefinition): CheckedSchedule | undefined {
  const schedule = checked.get(job);
  checked.delete(job);
  return schedule;
}
