import { userInfo } from 'node:os';
import type { Logger } from 'pino';
import { openApp, type App, type OpenOptions } from '../app';
import type { Clock } from '../clock';
import { ALL_PARTS, type ConfigPart } from '../config/load';

/** Everything a command needs from the process, so commands never touch `process` themselves. */
export interface CommandContext {
  configFile: string;
  env: Record<string, string | undefined>;
  clock: Clock;
  out(text: string): void;
  err(text: string): void;
  /** Columns a table may take: the terminal's width, else $COLUMNS, else 80. */
  width: number;
  /** stdin and stdout are a terminal: prompts and progress lines are allowed. */
  interactive: boolean;
  ask(question: string): Promise<string>;
  logger(stream: 'stdout' | 'stderr'): Logger;
  /** Resolves on the first SIGTERM/SIGINT. */
  stopRequested: Promise<string>;
  /** Calls `listener` on every SIGHUP. */
  onReload(listener: () => void): void;
}

/**
 * Opens the app for a command. The daemon (`stdout`) uses the whole config; a command that checks the
 * targets (preview, run, explain) uses them and the mail settings; the others (listings, control) only
 * the state store and the job files, so their ${VAR}s elsewhere (tokens, SMTP, target URLs) may be unset.
 */
export function openForCommand(ctx: CommandContext, checkTargets = false, stream: 'stdout' | 'stderr' = 'stderr', options: Pick<OpenOptions, 'readJobs'> = {}): Promise<App> {
  const uses: readonly ConfigPart[] = stream === 'stdout' ? ALL_PARTS : checkTargets ? ['targets', 'mail'] : [];
  return openApp({ configFile: ctx.configFile, env: ctx.env, clock: ctx.clock, logger: ctx.logger(stream), checkTargets, uses, healthChecks: stream === 'stdout', ...options });
}

/** Opens the app, runs `fn`, and always closes it. */
export async function withApp<T>(ctx: CommandContext, fn: (app: App) => Promise<T>, checkTargets = false, options: Pick<OpenOptions, 'readJobs'> = {}): Promise<T> {
  const app = await openForCommand(ctx, checkTargets, 'stderr', options);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2));
}

/** The width tables fit: the terminal's, else `$COLUMNS`, else 80 (a pipe or a file). */
export function outputWidth(terminalColumns: number | undefined, env: Record<string, string | undefined>): number {
  if (terminalColumns && terminalColumns > 0) return terminalColumns;
  const columns = Number(env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}

/**
 * Who a CLI command acts as, in run and job histories and the run's email: $USER, else $USERNAME, else
 * the account the process runs as (a container or a cron job often sets neither variable), else
 * `unknown` where even that has no name (a uid without a passwd entry).
 */
export function cliActor(ctx: CommandContext): string {
  return `cli:${ctx.env.USER || ctx.env.USERNAME || accountName()}`;
}

function accountName(): string {
  try {
    return userInfo().username || 'unknown';
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return 'unknown';
    throw error;
  }
}
