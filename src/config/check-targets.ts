import { SweeperError, type Problem } from '../errors';
import { checkQuery } from '../query/check';
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
      // A target that cannot be opened says why and what to do in `detail` (see targetUnavailable).
      const detail = error instanceof SweeperError ? error.context.detail : undefined;
      const message = typeof detail === 'string' ? detail : `${(error as Error).message}: check the connection settings and that the database is up`;
      problems.push({ file: configFile, path: `targets.${name}`, message });
    }
  }
  for (const job of jobs) {
    const schema = schemas.get(job.target);
    if (!schema) continue;
    job.queries.forEach((q, i) => {
      for (const p of checkQuery(q, schema)) problems.push({ file: job.file, path: `queries[${i}].${p.path}`, message: p.message });
    });
  }
  return problems;
}
