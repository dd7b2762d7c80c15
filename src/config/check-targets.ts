import type { Problem } from '../errors';
import { checkQuery } from '../query/check';
import { checkTimeValues } from '../query/time-format';
import type { Targets } from '../targets/registry';
import type { TargetSchema } from '../targets/schema';
import type { JobDefinition } from './schema';

/**
 * Checks every job's entities and fields against its target's real schema. A target that cannot be
 * reached is one problem naming it; its jobs are not checked further.
 */
export async function checkJobsAgainstTargets(jobs: JobDefinition[], targets: Targets, configFile: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const schemas = new Map<string, TargetSchema | null>();
  for (const name of new Set(jobs.map((j) => j.target))) {
    try {
      schemas.set(name, await targets.schema(name));
    } catch (error) {
      schemas.set(name, null);
      problems.push({ file: configFile, path: `targets.${name}`, message: `${(error as Error).message}: check the connection settings and that the database is up` });
    }
  }
  for (const job of jobs) {
    const schema = schemas.get(job.target);
    if (!schema) continue;
    const before = problems.length;
    job.queries.forEach((q, i) => {
      for (const p of checkQuery(q, schema)) problems.push({ file: job.file, path: `queries[${i}].${p.path}`, message: p.message });
    });
    // Time columns whose values a run would refuse (text that is not ISO-8601, seconds beside milliseconds).
    if (problems.length > before) continue;
    try {
      for (const p of await checkTimeValues(targets.get(job.target).knex, schema, job.queries)) problems.push({ file: job.file, ...p });
    } catch (error) {
      problems.push({ file: job.file, path: 'queries', message: `cannot read the values of its time columns in target "${job.target}": ${(error as Error).message}` });
    }
  }
  return problems;
}
