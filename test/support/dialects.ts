import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { App } from '../../src/app';
import type { Clock } from '../../src/clock';
import type { Dialect } from '../../src/dialects';
import { postgres } from '../../src/dialects/postgres';
import { sqlite } from '../../src/dialects/sqlite';
import { startPostgres } from './postgres';
import { createPgWorkspace } from './postgres-workspace';
import { createWorkspace } from './workspace';

/**
 * The test databases: every suite that runs on each database (`describe.each(TEST_DATABASES)`) takes
 * them from here, so a new dialect gets the whole suite by adding one entry to TEST_DATABASES.
 */

/** The short names tests use for the test databases (a new one: here, and its entry in TEST_DATABASES). */
export type TestDialect = 'sqlite' | 'pg';

/** A state store and a target of one database, with a config naming them and a jobs folder. */
export interface DialectWorkspace {
  dir: string;
  configFile: string;
  /** A knex on the target, for seeding and checking rows (foreign keys enforced). */
  target: Knex;
  writeJob(name: string, yaml: string): string;
  open(options?: { clock?: Clock; checkTargets?: boolean }): Promise<App>;
  /** Makes the target unreachable, as if its database were gone. */
  loseTarget(): Promise<void>;
  close(): Promise<void>;
}

export interface TestDatabase {
  /** As tests name it (`describe.each` titles, `%s`). */
  name: TestDialect;
  dialect: Dialect;
  /** The config `client` the workspace is opened with. */
  client: string;
  /** Column types for DDL shared by every database. */
  types: { integer: string; bigint: string; text: string; boolean: string; timestamp: string; real: string };
  /** The driver's code for a delete refused by a foreign key. */
  foreignKeyCode: string;
  /** The driver's code for a duplicate of a unique key. */
  uniqueCode: string;
  /** The driver's message for that refusal, of a delete from `parent` referenced by `child`. */
  foreignKeyMessage(parent: string, child: string): RegExp;
  /** An instant as the shared `timestamp` type stores it (SQLite: epoch milliseconds). */
  time(ms: number): unknown;
  /** A flag as the shared `boolean` type stores it (SQLite: 0/1). */
  flag(value: boolean): unknown;
  /** A fresh empty database: its knex `connection` as a config gives it, and how to remove it. */
  emptyDatabase(): Promise<{ connection: unknown; drop(): Promise<void> }>;
  /** A fresh workspace whose target holds `schema` (several statements). */
  workspace(schema: string, extraConfig?: string): Promise<DialectWorkspace>;
}

const sqliteDatabase: TestDatabase = {
  name: 'sqlite',
  dialect: sqlite,
  client: 'better-sqlite3',
  types: { integer: 'INTEGER', bigint: 'INTEGER', text: 'TEXT', boolean: 'INTEGER', timestamp: 'INTEGER', real: 'REAL' },
  foreignKeyCode: 'SQLITE_CONSTRAINT_FOREIGNKEY',
  uniqueCode: 'SQLITE_CONSTRAINT_UNIQUE',
  foreignKeyMessage: () => /^FOREIGN KEY constraint failed$/,
  time: (ms) => ms,
  flag: (value) => (value ? 1 : 0),
  emptyDatabase() {
    const dir = mkdtempSync(path.join(tmpdir(), 'sweeper-db-'));
    const filename = path.join(dir, 'db.sqlite');
    writeFileSync(filename, '');
    return Promise.resolve({ connection: { filename }, drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
  },
  workspace(schema, extraConfig) {
    const ws = createWorkspace(schema, extraConfig);
    const target = knex({
      client: 'better-sqlite3',
      connection: { filename: ws.targetFile },
      useNullAsDefault: true,
      pool: {
        afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
    return Promise.resolve({
      dir: ws.dir,
      configFile: ws.configFile,
      target,
      writeJob: ws.writeJob,
      open: ws.open,
      async loseTarget() {
        await target.destroy();
        rmSync(ws.targetFile);
        mkdirSync(ws.targetFile); // a directory where the database was: it cannot be opened
      },
      async close() {
        await target.destroy();
        rmSync(ws.dir, { recursive: true, force: true });
      },
    });
  },
};

const postgresDatabase: TestDatabase = {
  name: 'pg',
  dialect: postgres,
  client: 'pg',
  types: { integer: 'integer', bigint: 'bigint', text: 'text', boolean: 'boolean', timestamp: 'timestamptz', real: 'double precision' },
  foreignKeyCode: '23503',
  uniqueCode: '23505',
  foreignKeyMessage: (parent, child) => new RegExp(`^update or delete on table "${parent}" violates foreign key constraint "\\w+" on table "${child}"$`),
  time: (ms) => new Date(ms),
  flag: (value) => value,
  async emptyDatabase() {
    const pg = await startPostgres();
    return { connection: pg.url, drop: () => pg.stop() };
  },
  async workspace(schema, extraConfig) {
    const ws = await createPgWorkspace(schema, extraConfig);
    return { dir: ws.dir, configFile: ws.configFile, target: ws.target, writeJob: ws.writeJob, open: ws.open, loseTarget: ws.dropTarget, close: ws.close };
  },
};

/** Every test database, in the order suites run on them. */
export const TEST_DATABASES: readonly TestDatabase[] = [sqliteDatabase, postgresDatabase];

/** The dialect module of each test database, by its test name. */
export const DIALECT_OF = Object.fromEntries(TEST_DATABASES.map((d) => [d.name, d.dialect])) as Record<TestDialect, Dialect>;

/** A count(*) of `table` as a number (Postgres sends bigint counts as text). */
export async function countRows(db: Knex, table: string): Promise<number> {
  const row = (await db(table).count({ n: '*' }).first()) as { n: number | string } | undefined;
  return Number(row?.n ?? 0);
}
