import { SweeperError, type Problem } from '../errors';
import { checkQuery } from '../query/check';
import { checkTimeValues } from '../query/time-format';
import type { Targets } from '../targets/registry';
import type { TargetSchema } from '../targets/schema';
import { checkStatements } from './check-statements';
import type { JobDefinition } from './schema';

/**
 * Checks that every target opens, and every job's entities and fields against its target's real
 * schema, then that its statements compile there. A target that cannot be reached is one problem
 * naming it; its jobs are not checked further.
 */
export async function checkJobsAgainstTargets(jobs: JobDefinition[], targets: Targets, configFile: string, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  const schemas = new Map<string, TargetSchema | null>();
  for (const name of new Set([...targets.names(), ...jobs.map((j) => j.target)])) {
    try {
      schemas.set(name, await targets.schema(name));
    } catch (error) {
      schemas.set(name, null);
      // A target that cannot be opened says why and what to do in `detail` (see targetUnavailable).
      const detail = error instanceof SweeperError ? error.context.detail : undefined;
      const message = typeof detail === 'string' ? detail : `${(error as Error).message}: check the connection settings and that the database is up`;
      problems.push({ file: configFile, path: `targets.${name}`, message });
    }
  }
  for (const job of jobs) {
    const schema = schemas.get(job.target);
    if (!schema) continue;
    const found = job.queries.flatMap((q, i) => checkQuery(q, schema).map((p) => ({ file: job.file, path: `queries[${i}].${p.path}`, message: p.message })));
    problems.push(...found);
    if (found.length > 0) continue;
    // Time columns whose values a run would refuse (text that is not ISO-8601, seconds beside milliseconds).
    try {
      const timeProblems = await checkTimeValues(targets.get(job.target).knex, schema, job.queries);
      problems.push(...timeProblems.map((p) => ({ file: job.file, ...p })));
      if (timeProblems.length > 0) continue;
    } catch (error) {
      problems.push({ file: job.file, path: 'queries', message: `cannot read the values of its time columns in target "${job.target}": ${(error as Error).message}` });
      continue;
    }
    problems.push(...(await checkStatements(job, targets.get(job.target), schema, now)));
  }
  return problems;
}
