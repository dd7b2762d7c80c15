import { SweeperError, type Problem } from '../errors';
import { coldLinksProblem } from '../archive/link-notes';
import { checkQuery } from '../query/check';
import { checkTimeValues, type TimeValueCache } from '../query/time-format';
import type { Targets } from '../targets/registry';
import type { TargetSchema } from '../targets/schema';
import { checkStatements, type StatementCheckCache } from './check-statements';
import type { JobDefinition } from './schema';

/**
 * Checks that every target opens, and every job's entities and fields against its target's real
 * schema, then that its statements compile there. A target that cannot be reached is one problem
 * naming it; its jobs are not checked further.
 */
export async function checkJobsAgainstTargets(jobs: JobDefinition[], targets: Targets, configFile: string, now: Date): Promise<Problem[]> {
  const problems: Problem[] = [];
  const schemas = new Map<string, TargetSchema | null>();
  const statements: StatementCheckCache = new Map();
  // Per target: what its time columns hold, probed once for every job that compares them.
  const timeValues = new Map<string, TimeValueCache>();
  for (const name of new Set([...targets.names(), ...jobs.map((j) => j.target)])) {
    try {
      schemas.set(name, await targets.schema(name));
    } catch (error) {
      schemas.set(name, null);
      problems.push(targetProblem(name, error, configFile));
    }
  }
  // Jobs with the same target, queries, zone and batch size get the same answers: checked once.
  const verdicts = new Map<string, Promise<Omit<Problem, 'file'>[]>>();
  for (const job of jobs) {
    const schema = schemas.get(job.target);
    if (!schema) continue;
    const key = JSON.stringify([job.target, job.queries, job.timezone, job.limits.batchSize ?? null]);
    let verdict = verdicts.get(key);
    if (!verdict) {
      let columns = timeValues.get(job.target);
      if (!columns) timeValues.set(job.target, (columns = new Map()));
      verdict = checkJobQueries(job, targets, schema, now, statements, columns);
      verdicts.set(key, verdict);
    }
    problems.push(...(await verdict).map((p) => ({ file: job.file, ...p })));
    const links = coldLinksProblem(job, schema);
    if (links) problems.push({ file: job.file, ...links });
  }
  return problems;
}

/** A target that cannot be opened, as a problem of the config: says why and what to do (`detail`, see targetUnavailable). */
export function targetProblem(name: string, error: unknown, configFile: string): Problem {
  const detail = error instanceof SweeperError ? error.context.detail : undefined;
  const message = typeof detail === 'string' ? detail : `${(error as Error).message}: check the connection settings and that the database is up`;
  return { file: configFile, path: `targets.${name}`, message };
}

/** One job's queries against its target: entities and fields, the values of time columns, the statements. */
async function checkJobQueries(job: JobDefinition, targets: Targets, schema: TargetSchema, now: Date, statements: StatementCheckCache, timeValues: TimeValueCache): Promise<Omit<Problem, 'file'>[]> {
  const found = job.queries.flatMap((q, i) => checkQuery(q, schema).map((p) => ({ path: `queries[${i}].${p.path}`, message: p.message })));
  if (found.length > 0) return found;
  // Time columns whose values a run would refuse (text that is not ISO-8601, seconds beside milliseconds).
  try {
    const timeProblems = await checkTimeValues(targets.get(job.target).knex, schema, job.queries, timeValues);
    if (timeProblems.length > 0) return timeProblems;
  } catch (error) {
    return [{ path: 'queries', message: `cannot read the values of its time columns in target "${job.target}": ${(error as Error).message}` }];
  }
  return (await checkStatements(job, targets.get(job.target), schema, now, statements, timeValues)).map(({ file: _file, ...p }) => p);
}
