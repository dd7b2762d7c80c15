import { rmSync } from 'node:fs';
import knex, { type Knex } from 'knex';
import { startPostgres } from './postgres';
import { workspaceFolder, type WorkspaceFolder } from './workspace';

/**
 * The Postgres variant of test/support/workspace.ts: a temp folder with a config and a jobs folder,
 * a state store and a target that are two fresh databases of the test run's own Postgres.
 */
export interface PgWorkspace extends WorkspaceFolder {
  stateUrl: string;
  targetUrl: string;
  /** A knex on the target, for seeding and checking rows; closed by `close()`. */
  target: Knex;
  /** A knex on the state store, for reading what daemons wrote; closed by `close()`. */
  state: Knex;
  /** Drops the target database, as if its server were gone (the state store stays). */
  dropTarget(): Promise<void>;
  /** Drops both databases and removes the folder. */
  close(): Promise<void>;
}

export async function createPgWorkspace(targetSchema: string, extraConfig = ''): Promise<PgWorkspace> {
  const [statePg, targetPg] = await Promise.all([startPostgres(), startPostgres()]);
  const folder = workspaceFolder('sweeper-pg-test-', {
    state: `{ client: pg, connection: ${JSON.stringify(statePg.url)} }`,
    target: `{ client: pg, connection: ${JSON.stringify(targetPg.url)} }`,
    extraConfig,
  });
  const target = knex({ client: 'pg', connection: targetPg.url, pool: { min: 0, max: 4 } });
  const state = knex({ client: 'pg', connection: statePg.url, pool: { min: 0, max: 2 } });
  await target.raw(targetSchema);
  let closed = false;
  return {
    ...folder,
    stateUrl: statePg.url,
    targetUrl: targetPg.url,
    target,
    state,
    async dropTarget() {
      await target.destroy();
      await targetPg.stop();
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([target.destroy(), state.destroy()]);
      await Promise.all([statePg.stop(), targetPg.stop()]);
      rmSync(folder.dir, { recursive: true, force: true });
    },
  };
}
