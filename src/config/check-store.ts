import type { Problem } from '../errors';
import { storeDialect, storeFileProblems } from '../store/connect';
import type { LoadedConfig } from './load';

/**
 * Whether the state store opens and is writable, without creating or changing anything: `validate`
 * checks it, and `start` refuses what it finds before it opens the store. A store file must be
 * writable, or its folder creatable (storeFileProblems); then the dialect looks at what is there (a
 * file that is not a database, a server that does not answer or is a read-only standby).
 */
export async function checkStateStore(config: LoadedConfig): Promise<Problem[]> {
  const problems = storeFileProblems(config.state, config.displayFile);
  if (problems.length > 0) return problems;
  const problem = await storeDialect(config.state).storeProblem(config.state);
  return problem ? [{ file: config.displayFile, path: `state.${problem.field}`, message: problem.message }] : [];
}
