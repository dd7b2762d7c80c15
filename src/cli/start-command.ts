import { Daemon } from '../daemon';
import { EXIT, toError } from '../errors';
import { openForCommand, type CommandContext } from './context';

/** `sweeper start`: the daemon in the foreground until SIGTERM/SIGINT. */
export async function startCommand(ctx: CommandContext): Promise<number> {
  const app = await openForCommand(ctx, true, 'stdout');
  const daemon = new Daemon(app);
  try {
    await daemon.start();
  } catch (error) {
    await daemon.stop();
    throw error;
  }
  ctx.onReload(() => {
    daemon.reloader.reload('SIGHUP').catch((e: unknown) => app.logger.error({ err: toError(e) }, 'reload failed'));
  });
  const signal = await ctx.stopRequested;
  app.logger.info({ signal }, 'stop requested');
  await daemon.stop();
  return EXIT.ok;
}
