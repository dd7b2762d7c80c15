import { existsSync } from 'node:fs';
import { checkJobs } from '../config/check-jobs';
import { checkStateStore } from '../config/check-store';
import { loadConfig, loadJobFiles, type LoadedConfig } from '../config/load';
import type { JobDefinition } from '../config/schema';
import { ConfigError, EXIT, formatProblem, type Problem } from '../errors';
import { storeDialect } from '../store/connect';
import { Store } from '../store/store';
import { Targets } from '../targets/registry';
import { printJson, type CommandContext } from './context';

/** The state store as it is, to read what already ran; null when there is none yet. Validate creates nothing. */
async function existingStore(config: LoadedConfig): Promise<Store | null> {
  const dialect = storeDialect(config.state);
  const file = dialect.databaseFile(config.state.connection);
  // An embedded store (SQLite) that is no file yet has nothing to read; a server store is asked.
  if (dialect.capabilities.embedded && (!file || !existsSync(file))) return null;
  const store = Store.open(config.state);
  if (await store.db.schema.hasTable('runs')) return store;
  await store.close();
  return null;
}

/** What `start` checks beyond the files: the state store, the targets, every statement, the one-off starts. */
async function checkSetup(config: LoadedConfig, jobs: JobDefinition[], queriesOf: JobDefinition[], now: Date): Promise<Problem[]> {
  const problems = await checkStateStore(config);
  const store = problems.length === 0 ? await existingStore(config) : null;
  const targets = new Targets(config.targets);
  try {
    problems.push(...(await checkJobs(jobs, { targets, store, configFile: config.displayFile, now, queriesOf })));
  } finally {
    await targets.close();
    await store?.close();
  }
  return problems;
}

/** `sweeper validate`: everything `start` or a run would stumble on, every problem with its file. */
export async function validateCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  let problems: Problem[];
  let jobCount = 0;
  try {
    const config = loadConfig(ctx.configFile, ctx.env);
    const results = loadJobFiles(config, ctx.env);
    problems = results.flatMap((r) => r.problems);
    jobCount = results.length;
    const jobs = results.flatMap((r) => (r.job ? [r.job] : []));
    // A job refused for its own fields still has its queries checked, so every problem shows at once.
    const queriesOf = results.flatMap((r) => (r.queriesToCheck ? [r.queriesToCheck] : []));
    problems.push(...(await checkSetup(config, jobs, queriesOf, ctx.clock.now())));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  if (opts.json) printJson(ctx, { valid: problems.length === 0, jobs: jobCount, problems });
  else if (problems.length > 0) {
    ctx.err(problems.map(formatProblem).join('\n'));
    ctx.err(`${problems.length} problem${problems.length === 1 ? '' : 's'} found`);
  } else ctx.out(`${ctx.configFile}: valid, ${jobCount} job${jobCount === 1 ? '' : 's'} checked against the state store and their targets`);
  return problems.length > 0 ? EXIT.usage : EXIT.ok;
}
