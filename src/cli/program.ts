import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, UsageError } from '../errors';
import { configPath } from '../config/load';
import type { CommandContext } from './context';
import type { FailuresOptions } from './failures-command';
import type { InitOptions } from './init-command';
import { OUTPUT_FORMATS, type OutputOptions } from './output';
import { RUN_STATUSES } from '../store/runs-repository';

/**
 * Each command's module, loaded when that command runs: `sweeper jobs` then loads neither the daemon,
 * its HTTP server nor the mailer (a third of its start-up). `require` rather than `import()`: the build
 * is CommonJS, where `import()` would go through Node's ESM loader.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  control: () => require('./control-command') as typeof import('./control-command'),
  demo: () => require('./demo-command') as typeof import('./demo-command'),
  explain: () => require('./explain-command') as typeof import('./explain-command'),
  failures: () => require('./failures-command') as typeof import('./failures-command'),
  init: () => require('./init-command') as typeof import('./init-command'),
  jobs: () => require('./jobs-command') as typeof import('./jobs-command'),
  migrate: () => require('./migrate-command') as typeof import('./migrate-command'),
  restore: () => require('./restore-command') as typeof import('./restore-command'),
  run: () => require('./run-command') as typeof import('./run-command'),
  runs: () => require('./runs-command') as typeof import('./runs-command'),
  start: () => require('./start-command') as typeof import('./start-command'),
  validate: () => require('./validate-command') as typeof import('./validate-command'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

type Base = Omit<CommandContext, 'configFile'>;

const EXIT_CODES = `Exit codes:
  0    success
  1    runtime error, or the run failed
  2    bad usage or invalid config
  3    the run completed with failures
  130  forced stop (a second SIGTERM/SIGINT, or the stop took too long)`;

const PROGRAM_HELP = `
Examples:
  sweeper validate                           check the config and every job file
  sweeper jobs                               what is scheduled, and when it runs
  sweeper preview purge-test-accounts        what a job would delete now
  sweeper run purge-test-accounts --dry-run  the same, as run shows it
  sweeper runs --job purge-test-accounts -o wide
  sweeper runs show 12                       one run, where its email went
  sweeper failures --run 12 -o csv > f.csv   every failure record of run 12
  sweeper explain purge-test-accounts        the SQL each query runs per batch
  sweeper init --entity sessions             a commented job file for a table

Every listing (jobs, preview, runs, runs show, failures) takes -o and --json.
Tables fit the terminal ($COLUMNS, else 80 columns off a terminal).

${EXIT_CODES}`;

/** Each command's own examples, shown by `sweeper <command> --help` above the exit codes. */
const COMMAND_EXAMPLES: Record<string, string[]> = {
  start: ['sweeper start                              the daemon, with config/sweeper.yaml', 'sweeper --config /etc/sweeper.yaml start'],
  validate: ['sweeper validate                           every problem, with its file', 'sweeper validate --json'],
  jobs: ['sweeper jobs -o wide                       with the zone and whole names', 'sweeper jobs -o json'],
  preview: ['sweeper preview purge-test-accounts', 'sweeper preview purge-test-accounts -o yaml'],
  explain: ['sweeper explain purge-test-accounts', 'sweeper explain purge-test-accounts --json'],
  run: ['sweeper run purge-test-accounts --dry-run  the preview only', 'sweeper run purge-test-accounts --yes      off a terminal'],
  runs: ['sweeper runs --job purge-test-accounts --limit 5', 'sweeper runs --status failed -o wide', 'sweeper runs show 12'],
  'runs show': ['sweeper runs show 12', 'sweeper runs show 12 -o json'],
  failures: [
    'sweeper failures --run 12 -o csv > f.csv   every failure record of run 12',
    'sweeper failures --job purge-test-accounts --since 24h',
    'sweeper failures --code SQLITE_CONSTRAINT_FOREIGNKEY --limit 10',
  ],
  pause: ['sweeper pause purge-test-accounts --reason "month-end close"'],
  resume: ['sweeper resume purge-test-accounts'],
  cancel: ['sweeper cancel 12'],
  postpone: ['sweeper postpone purge-test-accounts --until 2026-12-24T00:00:00'],
  init: ['sweeper init                               lists the tables', 'sweeper init --entity sessions --name old-sessions'],
  restore: ['sweeper restore 12 --dry-run', 'sweeper restore 12 --entity users --yes'],
  migrate: ['sweeper migrate'],
};

/** Every command under `command`, with its name as typed (`runs show`). */
function commandsOf(command: Command, prefix = ''): { name: string; command: Command }[] {
  return command.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return [{ name, command: c }, ...commandsOf(c, `${name} `)];
  });
}

/** `sweeper <command> --help` ends with that command's examples and the exit codes. */
function addCommandHelp(program: Command): void {
  for (const { name, command } of commandsOf(program)) {
    const examples = COMMAND_EXAMPLES[name];
    command.addHelpText('after', `${examples ? `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n` : ''}\n${EXIT_CODES}`);
  }
}

/** The version in package.json (beside dist/ and src/ alike). */
function sweeperVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

/** Parses argv and runs one command; returns its exit code. Commands get everything through the context. */
export async function runCli(argv: string[], base: Base): Promise<number> {
  let result: Promise<number> = Promise.resolve(EXIT.ok);
  const program = new Command('sweeper')
    .description('Scheduled bulk-delete daemon: recurring cleanup jobs from YAML files')
    .version(sweeperVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help for the command')
    .option('-c, --config <file>', 'config file (default: $SWEEPER_CONFIG or config/sweeper.yaml)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => base.out(s.trimEnd()), writeErr: (s) => base.err(s.trimEnd()) })
    .showHelpAfterError('(run "sweeper --help" for the commands)')
    .addHelpText('after', PROGRAM_HELP);
  const ctx = (): CommandContext => ({ ...base, configFile: configPath(program.opts<{ config?: string }>().config, base.env) });
  const on = (fn: () => Promise<number>) => {
    result = fn();
  };
  /** Every listing: `-o json|yaml|csv|wide` as kubectl, `--json` as before. */
  const listing = (command: Command) =>
    command
      .addOption(new Option('-o, --output <format>', 'table fits the terminal, wide cuts nothing; json, yaml, csv').choices([...OUTPUT_FORMATS]))
      .option('--json', 'print JSON, the objects of the HTTP API (same as -o json)');

  program.command('start').description('run the daemon in the foreground until SIGTERM/SIGINT (or until its output is closed)').action(() => on(() => commands.start().startCommand(ctx())));
  program
    .command('validate')
    .description("check the config and every job against the state store and the targets' schemas; exit 2 on any problem")
    .option('--json', 'print { valid, jobs, problems } as JSON')
    .action((o: { json?: boolean }) => on(() => commands.validate().validateCommand(ctx(), o)));
  listing(program.command('jobs').description('list jobs: name, target, schedule, next run, last outcome, paused')).action((o: OutputOptions) => on(() => commands.jobs().jobsCommand(ctx(), o)));
  listing(program.command('preview <job>').description('what each query would delete now: counts, sample keys, cascaded children, predicted failures; deletes nothing')).action(
    (job: string, o: OutputOptions) => on(() => commands.run().previewCommand(ctx(), job, o)),
  );
  program
    .command('explain <job>')
    .description('the SQL each query of a job runs per batch, for its target\'s dialect, with the bound values apart; runs nothing')
    .option('--json', 'print the statements and their bound values as JSON')
    .action((job: string, o: { json?: boolean }) => on(() => commands.explain().explainCommand(ctx(), job, o)));
  program
    .command('run <job>')
    .description('run a job now: shows the preview, asks on a terminal, delivers the notification, prints the summary')
    .option('--dry-run', 'only preview; delete nothing')
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal)')
    .option('--json', 'print the finished run as JSON (with --dry-run: the preview)')
    .action((job: string, o: { dryRun?: boolean; yes?: boolean; json?: boolean }) => on(() => commands.run().runCommand(ctx(), job, o)));
  const runs = listing(
    program
      .command('runs')
      .description('run history, newest first (runs show <run-id> for one run)')
      .option('--job <job>', 'only the runs of this job')
      .option('--status <status>', `only runs in this state (${RUN_STATUSES.join(', ')})`)
      .option('--limit <n>', 'at most this many runs (default 20)'),
  ).action((o: { job?: string; status?: string; limit?: string } & OutputOptions) => on(() => commands.runs().runsCommand(ctx(), o)));
  listing(runs.command('show <run-id>').description('one run: counts per query, timings, failures by code, notification status, history'))
    // commander gives `--json` / `-o` after `show <id>` to the parent `runs` (it has the same options): read both.
    .action((id: string, o: OutputOptions) => {
      const parent = runs.opts<OutputOptions>();
      on(() => commands.runs().runShowCommand(ctx(), id, { output: o.output ?? parent.output, json: o.json === true || parent.json === true }));
    });
  listing(
    program
      .command('failures')
      .description('the failure log: records a run could not delete, with the database\'s error code')
      .option('--job <job>', 'only failures of this job')
      .option('--run <run-id>', 'only failures of this run')
      .option('--entity <entity>', 'only failures on this entity (table)')
      .option('--code <code>', 'only this error code, e.g. SQLITE_CONSTRAINT_FOREIGNKEY or 23503')
      .option('--kind <kind>', 'delete (default): records runs could not delete; restore: records restores could not put back')
      .option('--since <time>', 'only failures since an ISO-8601 time, or a duration back from now such as 24h')
      .option('--limit <n>', 'at most this many (default 100 in a table, 100,000 otherwise)')
      .option('--format <format>', 'table, wide, json, yaml or csv (same as -o)'),
  ).action((o: FailuresOptions) => on(() => commands.failures().failuresCommand(ctx(), o)));
  program
    .command('pause <job>')
    .description('hold a job: occurrences are skipped, a running run stops at its next batch boundary')
    .option('--reason <text>', 'why, kept in the job history')
    .action((job: string, o: { reason?: string }) => on(() => commands.control().pauseCommand(ctx(), job, o)));
  program
    .command('resume <job>')
    .description('let a paused job run again; its paused run continues from its checkpoint')
    .option('--reason <text>', 'why, kept in the job history')
    .action((job: string, o: { reason?: string }) => on(() => commands.control().resumeCommand(ctx(), job, o)));
  program.command('cancel <run-id>').description('cancel a run; a running one stops at its next batch boundary').action((id: string) => on(() => commands.control().cancelCommand(ctx(), id)));
  program
    .command('postpone <job>')
    .description('skip the occurrences of a job before a time')
    .option('--until <time>', 'ISO-8601 time; without an offset, in the config\'s time zone')
    .action((job: string, o: { until?: string }) => on(() => commands.control().postponeCommand(ctx(), job, o)));
  program
    .command('init')
    .description('write a commented job file for an entity of a target, listing its real columns')
    .option('--target <target>', 'a target of the config (default: the only one)')
    .option('--entity <entity>', 'a table of the target (without it: the tables are listed)')
    .option('--name <name>', 'the job name and file name (default: purge-<entity>)')
    .action((o: InitOptions) => on(() => commands.init().initCommand(ctx(), o)));
  program
    .command('restore <run-id>')
    .description("put a run's archived records back, parents before children; what cannot go back is listed")
    .option('--entity <entity>', "only this entity's records")
    .option('--dry-run', 'only show what would go back; write nothing')
    .option('-y, --yes', 'do not ask for confirmation (required off a terminal)')
    .option('--json', 'print the restore as JSON')
    .action((id: string, o: { entity?: string; dryRun?: boolean; yes?: boolean; json?: boolean }) => on(() => commands.restore().restoreCommand(ctx(), id, o)));
  program.command('migrate').description("bring the state store's schema up to date (start does it too)").action(() => on(() => commands.migrate().migrateCommand(ctx())));
  program
    .command('seed-demo', { hidden: true })
    .description('create the demo SQLite target if it does not exist (npm start does this)')
    .option('--file <file>', 'demo database file', 'data/app.db')
    .option('--rows <n>', 'sessions to create', '20000')
    .action((o: { file: string; rows: string }) => on(() => commands.demo().seedDemoCommand(base, o)));

  addCommandHelp(program);

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
