import { rmSync } from 'node:fs';
import knex, { type Knex } from 'knex';
import type { App } from '../../src/app';
import { createMariadbWorkspace } from '../support/mariadb-workspace';
import { createPgWorkspace } from '../support/postgres-workspace';
import type { TestDialect } from '../support/dialects';
import { createWorkspace } from '../support/workspace';

/**
 * One workspace for the archive suites on every test database: a config and jobs folder, a state
 * store and a target of that dialect, and a knex on the target for seeding and checking rows.
 */
export interface ArchiveWorkspace {
  dialect: TestDialect;
  dir: string;
  configFile: string;
  /** A knex on the target (SQLite: foreign keys on), closed by close(). */
  target: Knex;
  writeJob(name: string, yaml: string): string;
  open(): Promise<App>;
  /** The rows of a SELECT, numbers as numbers. */
  rows<T = Record<string, unknown>>(sql: string, bindings?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function createArchiveWorkspace(
  dialect: TestDialect,
  schema: string,
  extraConfig = '',
): Promise<ArchiveWorkspace> {
  if (dialect === 'pg') {
    const ws = await createPgWorkspace(schema, extraConfig);
    return {
      dialect,
      dir: ws.dir,
      configFile: ws.configFile,
      target: ws.target,
      writeJob: (n, y) => ws.writeJob(n, y),
      open: () => ws.open(),
      async rows<T>(sql: string, bindings: unknown[] = []) {
        const result = (await ws.target.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] };
        return result.rows.map((r) => numeric(r) as T);
      },
      close: () => ws.close(),
    };
  }
  if (dialect === 'mysql') {
    const ws = await createMariadbWorkspace(schema, extraConfig);
    return {
      dialect,
      dir: ws.dir,
      configFile: ws.configFile,
      target: ws.target,
      writeJob: (n, y) => ws.writeJob(n, y),
      open: () => ws.open(),
      async rows<T>(sql: string, bindings: unknown[] = []) {
        // mysql2's raw result is [rows, fields].
        const [rows] = (await ws.target.raw(sql, bindings as Knex.RawBinding[])) as unknown as [T[]];
        return rows.map((r) => numeric(r) as T);
      },
      close: () => ws.close(),
    };
  }
  const ws = createWorkspace(schema, extraConfig);
  const target = knex({
    client: 'better-sqlite3',
    connection: { filename: ws.targetFile },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (c: { pragma(s: string): void }, done: (e: Error | null, c: unknown) => void) => (
        c.pragma('foreign_keys = ON'),
        done(null, c)
      ),
    },
  });
  return {
    dialect,
    dir: ws.dir,
    configFile: ws.configFile,
    target,
    writeJob: (n, y) => ws.writeJob(n, y),
    open: () => ws.open(),
    async rows<T>(sql: string, bindings: unknown[] = []) {
      return ((await target.raw(sql, bindings as Knex.RawBinding[])) as T[]).map((r) => numeric(r) as T);
    },
    async close() {
      await target.destroy();
      rmSync(ws.dir, { recursive: true, force: true });
    },
  };
}

/** Postgres and MySQL send bigint and numeric (decimal) as text: compare them as numbers. */
function numeric(row: unknown): unknown {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row as Record<string, unknown>))
    out[k] = typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return out;
}

/** Inserts rows in chunks (every dialect). */
export async function insertRows(db: Knex, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await db(table).insert(rows.slice(i, i + 200));
}
