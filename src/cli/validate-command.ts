import { checkJobsAgainstTargets } from '../config/check-targets';
import { loadConfig, loadJobFiles } from '../config/load';
import { ConfigError, EXIT, formatProblem, type Problem } from '../errors';
import { Targets } from '../targets/registry';
import { printJson, type CommandContext } from './context';

/** `sweeper validate`: the config and every job, checked against the targets' real schemas. */
export async function validateCommand(ctx: CommandContext, opts: { json?: boolean }): Promise<number> {
  let problems: Problem[];
  let jobCount = 0;
  try {
    const config = loadConfig(ctx.configFile, ctx.env);
    const results = loadJobFiles(config, ctx.env);
    problems = results.flatMap((r) => r.problems);
    const jobs = results.flatMap((r) => (r.job ? [r.job] : []));
    jobCount = results.length;
    const targets = new Targets(config.targets);
    try {
      problems.push(...(await checkJobsAgainstTargets(jobs, targets, config.displayFile)));
    } finally {
      await targets.close();
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems = error.problems;
  }
  if (opts.json) printJson(ctx, { valid: problems.length === 0, jobs: jobCount, problems });
  else if (problems.length > 0) {
    ctx.err(problems.map(formatProblem).join('\n'));
    ctx.err(`${problems.length} problem${problems.length === 1 ? '' : 's'} found`);
  } else ctx.out(`${ctx.configFile}: valid, ${jobCount} job${jobCount === 1 ? '' : 's'} checked against their targets' schemas`);
  return problems.length > 0 ? EXIT.usage : EXIT.ok;
}
