import { EXIT } from '../errors';
import { withApp, type CommandContext } from './context';
import { latestMigration } from '../store/migrations';

/** `sweeper migrate`: bring the state store's schema up to date (opening the store does it). */
export async function migrateCommand(ctx: CommandContext): Promise<number> {
  return withApp(ctx, async () => {
    ctx.out(`state store is up to date (schema ${latestMigration})`);
    return EXIT.ok;
  });
}
