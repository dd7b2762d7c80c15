import type { Logger } from 'pino';
import { openApp, type App } from '../app';
import type { Clock } from '../clock';

/** Everything a command needs from the process, so commands never touch `process` themselves. */
export interface CommandContext {
  configFile: string;
  env: Record<string, string | undefined>;
  clock: Clock;
  out(text: string): void;
  err(text: string): void;
  /** stdin and stdout are a terminal: prompts and progress lines are allowed. */
  interactive: boolean;
  ask(question: string): Promise<string>;
  logger(stream: 'stdout' | 'stderr'): Logger;
  /** Resolves on the first SIGTERM/SIGINT. */
  stopRequested: Promise<string>;
  /** Calls `listener` on every SIGHUP. */
  onReload(listener: () => void): void;
}

export function openForCommand(ctx: CommandContext, checkTargets = false, stream: 'stdout' | 'stderr' = 'stderr'): Promise<App> {
  return openApp({ configFile: ctx.configFile, env: ctx.env, clock: ctx.clock, logger: ctx.logger(stream), checkTargets });
}

/** Opens the app, runs `fn`, and always closes it. */
export async function withApp<T>(ctx: CommandContext, fn: (app: App) => Promise<T>, checkTargets = false): Promise<T> {
  const app = await openForCommand(ctx, checkTargets);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2));
}

/** Who a CLI command acts as, in run and job histories. */
export function cliActor(ctx: CommandContext): string {
  return `cli:${ctx.env.USER ?? ctx.env.USERNAME ?? 'unknown'}`;
}
