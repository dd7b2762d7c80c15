import { rmSync } from 'node:fs';
import knex, { type Knex } from 'knex';
import { startMariadb, type TestMariadb } from './mariadb';
import { workspaceFolder, type WorkspaceFolder } from './workspace';

/**
 * A temp folder with a config and a jobs folder, a SQLite state store (MySQL is not offered as one)
 * and a MySQL target (`client: mysql2`) that is a fresh database of the test run's own MariaDB.
 */
export interface MariadbWorkspace extends WorkspaceFolder {
  database: TestMariadb;
  /** A knex on the target for seeding and checking rows (several statements per call); closed by `close()`. */
  target: Knex;
  /** Drops the target database, as if it were gone. */
  dropTarget(): Promise<void>;
  /** Drops the database and removes the folder. */
  close(): Promise<void>;
}

export async function createMariadbWorkspace(
  targetSchema: string,
  extraConfig = '',
): Promise<MariadbWorkspace> {
  const database = await startMariadb();
  const folder = workspaceFolder('sweeper-mariadb-test-', {
    state: '{ client: better-sqlite3, connection: { filename: state.db } }',
    target: `{ client: mysql2, connection: ${JSON.stringify(database.url)} }`,
    extraConfig,
  });
  const target = knex({
    client: 'mysql2',
    connection: { uri: database.url, multipleStatements: true, timezone: 'Z', dateStrings: true },
    pool: { min: 0, max: 4 },
  });
  if (targetSchema.trim()) await target.raw(targetSchema);
  let closed = false;
  return {
    ...folder,
    database,
    target,
    async dropTarget() {
      await target.raw(`DROP DATABASE IF EXISTS \`${database.database}\``);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([target.destroy()]);
      await database.stop();
      rmSync(folder.dir, { recursive: true, force: true });
    },
  };
}
