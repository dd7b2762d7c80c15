import { Command, CommanderError } from 'commander';
import { EXIT, UsageError } from '../errors';
import { configPath } from '../config/load';
import type { CommandContext } from './context';
import { cancelCommand, pauseCommand, postponeCommand, resumeCommand } from './control-command';
import { failuresCommand } from './failures-command';
import { jobsCommand } from './jobs-command';
import { migrateCommand } from './migrate-command';
import { restoreCommand } from './restore-command';
import { previewCommand, runCommand } from './run-command';
import { runShowCommand, runsCommand } from './runs-command';
import { startCommand } from './start-command';
import { validateCommand } from './validate-command';
import { seedDemoCommand } from './demo-command';

type Base = Omit<CommandContext, 'configFile'>;

/** Parses argv and runs one command; returns its exit code. Commands get everything through the context. */
export async function runCli(argv: string[], base: Base): Promise<number> {
  let result: Promise<number> = Promise.resolve(EXIT.ok);
  const program = new Command('sweeper')
    .description('Scheduled bulk-delete daemon: recurring cleanup jobs from YAML files')
    .option('-c, --config <file>', 'config file (default: $SWEEPER_CONFIG or config/sweeper.yaml)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => base.out(s.trimEnd()), writeErr: (s) => base.err(s.trimEnd()) })
    .showHelpAfterError('(run "sweeper --help" for the commands)');
  const ctx = (): CommandContext => ({ ...base, configFile: configPath(program.opts<{ config?: string }>().config, base.env) });
  const on = (fn: () => Promise<number>) => {
    result = fn();
  };

  program.command('start').description('run the daemon in the foreground until SIGTERM/SIGINT').action(() => on(() => startCommand(ctx())));
  program.command('validate').description("check the config and every job against the targets' schemas").option('--json').action((o: { json?: boolean }) => on(() => validateCommand(ctx(), o)));
  program.command('jobs').description('list jobs: name, target, schedule, next run, last outcome, paused').option('--json').action((o: { json?: boolean }) => on(() => jobsCommand(ctx(), o)));
  program.command('preview <job>').description('what each query would delete now; deletes nothing').option('--json').action((job: string, o: { json?: boolean }) => on(() => previewCommand(ctx(), job, o)));
  program
    .command('run <job>')
    .description('run a job now: shows the preview, asks on a terminal, prints the summary')
    .option('--dry-run', 'only preview; delete nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json', 'print the finished run as JSON')
    .action((job: string, o: { dryRun?: boolean; yes?: boolean; json?: boolean }) => on(() => runCommand(ctx(), job, o)));
  const runs = program
    .command('runs')
    .description('run history, newest first')
    .option('--job <job>')
    .option('--status <status>')
    .option('--limit <n>')
    .option('--json')
    .action((o: { job?: string; status?: string; limit?: string; json?: boolean }) => on(() => runsCommand(ctx(), o)));
  runs
    .command('show <run-id>')
    .description('one run: counts per query, timings, failures by code, notification status')
    .option('--json')
    // commander gives `--json` after `show <id>` to the parent `runs` (it has the same option): read both.
    .action((id: string, o: { json?: boolean }) => on(() => runShowCommand(ctx(), id, { json: o.json === true || runs.opts<{ json?: boolean }>().json === true })));
  program
    .command('failures')
    .description('the failure log')
    .option('--job <job>')
    .option('--run <run-id>')
    .option('--entity <entity>')
    .option('--code <code>')
    .option('--since <time>', 'ISO-8601 time, or a duration back from now such as 24h')
    .option('--limit <n>')
    .option('--format <format>', 'table, json or csv', 'table')
    .option('--json', 'same as --format json')
    .action((o: Parameters<typeof failuresCommand>[1]) => on(() => failuresCommand(ctx(), o)));
  program.command('pause <job>').description('hold a job: occurrences are skipped, a running run stops at its next batch').option('--reason <text>').action((job: string, o: { reason?: string }) => on(() => pauseCommand(ctx(), job, o)));
  program.command('resume <job>').description('let a paused job run again; paused runs continue').action((job: string) => on(() => resumeCommand(ctx(), job)));
  program.command('cancel <run-id>').description('cancel a run; a running one stops at its next batch boundary').action((id: string) => on(() => cancelCommand(ctx(), id)));
  program.command('postpone <job>').description('skip the occurrences before a time').option('--until <time>', 'ISO-8601; without offset, in the config time zone').action((job: string, o: { until?: string }) => on(() => postponeCommand(ctx(), job, o)));
  program
    .command('restore <run-id>')
    .description("put a run's archived records back, parents before children")
    .option('--entity <entity>', "only this entity's records")
    .option('--dry-run', 'only show what would go back; write nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--json')
    .action((id: string, o: { entity?: string; dryRun?: boolean; yes?: boolean; json?: boolean }) => on(() => restoreCommand(ctx(), id, o)));
  program.command('migrate').description("bring the state store's schema up to date").action(() => on(() => migrateCommand(ctx())));
  program
    .command('seed-demo', { hidden: true })
    .description('create the demo SQLite target if it does not exist (npm start does this)')
    .option('--file <file>', 'demo database file', 'data/app.db')
    .option('--rows <n>', 'sessions to create', '20000')
    .action((o: { file: string; rows: string }) => on(() => seedDemoCommand(base, o)));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    throw error;
  }
  if (argv.length === 0) {
    program.outputHelp();
    throw new UsageError('no command given');
  }
  return result;
}
