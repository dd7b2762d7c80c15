import path from 'node:path';
import { seedDemo } from '../demo/seed';
import { EXIT, UsageError } from '../errors';
import type { CommandContext } from './context';

/** `sweeper seed-demo`: creates the demo target for a newcomer's first `npm start`. */
export async function seedDemoCommand(ctx: Omit<CommandContext, 'configFile'>, opts: { file: string; rows: string }): Promise<number> {
  const sessions = Number(opts.rows);
  if (!Number.isInteger(sessions) || sessions < 10) throw new UsageError(`--rows "${opts.rows}" must be a whole number of at least 10`);
  const file = path.resolve(opts.file);
  const created = await Promise.resolve(seedDemo({ file, sessions, now: ctx.clock.now() }));
  ctx.err(created ? `demo target created: ${file}` : `demo target already exists: ${file}`);
  return EXIT.ok;
}
