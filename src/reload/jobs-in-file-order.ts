import type { JobDefinition } from '../config/schema';

/** Where a job of `file` is, or would go, in `jobs` sorted by file (binary search). */
function positionOf(jobs: readonly JobDefinition[], file: string): { at: number; found: boolean } {
  let low = 0;
  let high = jobs.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (jobs[mid]!.file < file) low = mid + 1;
    else high = mid;
  }
  return { at: low, found: low < jobs.length && jobs[low]!.file === file };
}

/**
 * The jobs in force in the order of their files (as a reload of every file gives them), with the jobs
 * of some files replaced: each file in `files` gives the job `inForce` has for it, or none. A copy of
 * `jobs` changed at those places only (a reload of one file of 10,000 walks none of the others), and
 * the names of the jobs the replaced files gave before.
 */
export function replaceJobsOfFiles(jobs: readonly JobDefinition[], files: Iterable<string>, inForce: ReadonlyMap<string, JobDefinition>): { jobs: JobDefinition[]; replaced: string[] } {
  const next = jobs.slice();
  const replaced: string[] = [];
  for (const file of files) {
    const { at, found } = positionOf(next, file);
    if (found) replaced.push(next[at]!.name);
    const job = inForce.get(file);
    if (job && found) next[at] = job;
    else if (job) next.splice(at, 0, job);
    else if (found) next.splice(at, 1);
  }
  return { jobs: next, replaced };
}
