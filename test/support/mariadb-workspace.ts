import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import pino from 'pino';
import { openApp, type App } from '../../src/app';
import type { Clock } from '../../src/clock';
import { systemClock } from '../../src/clock';
import { startMariadb, type TestMariadb } from './mariadb';

/**
 * A temp folder with a config and a jobs folder, a SQLite state store (MySQL is not offered as one)
 * and a MySQL target (`client: mysql2`) that is a fresh database of the test run's own MariaDB.
 */
export interface MariadbWorkspace {
  dir: string;
  configFile: string;
  database: TestMariadb;
  /** A knex on the target for seeding and checking rows (several statements per call); closed by `close()`. */
  target: Knex;
  writeJob(name: string, yaml: string): string;
  open(options?: { clock?: Clock; checkTargets?: boolean }): Promise<App>;
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
  const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-mariadb-test-'));
  mkdirSync(path.join(dir, 'jobs'));
  const target = knex({
    client: 'mysql2',
    connection: { uri: database.url, multipleStatements: true, timezone: 'Z', dateStrings: true },
    pool: { min: 0, max: 4 },
  });
  if (targetSchema.trim()) await target.raw(targetSchema);
  const configFile = path.join(dir, 'sweeper.yaml');
  writeFileSync(
    configFile,
    `state: { client: better-sqlite3, connection: { filename: state.db } }
targets:
  app: { client: mysql2, connection: ${JSON.stringify(database.url)} }
jobs: jobs
timezone: UTC
mail: { outboxDir: outbox }
${extraConfig}`,
  );
  let closed = false;
  return {
    dir,
    configFile,
    database,
    target,
    writeJob(name, yaml) {
      const file = path.join(dir, 'jobs', `${name}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
    async dropTarget() {
      await target.raw(`DROP DATABASE IF EXISTS \`${database.database}\``);
    },
    open(options = {}) {
      return openApp({
        configFile,
        env: {},
        clock: options.clock ?? systemClock,
        logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
        checkTargets: options.checkTargets ?? true,
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([target.destroy()]);
      await database.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
