import { Daemon } from '../daemon';
import { EXIT } from '../errors';
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
  const signal = await ctx.stopRequested;
  app.logger.info({ signal }, 'stop requested');
  await daemon.stop();
  return EXIT.ok;
}
