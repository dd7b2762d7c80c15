import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Problem } from '../errors';
import { openStore, storeDialect, storeFileProblems } from '../store/connect';
import type { LoadedConfig } from './load';

/** A SQLite state store: the file, or the folder it is created in, must be writable (storeFileProblems); an existing file must be SQLite. */
function checkSqliteStore(file: string, config: LoadedConfig): Problem[] {
  const problems = storeFileProblems(config.state, config.displayFile);
  if (problems.length > 0 || !existsSync(file)) return problems;
  const problem = (message: string): Problem[] => [{ file: config.displayFile, path: 'state.connection.filename', message }];
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('schema_version');
    } finally {
      db.close();
    }
  } catch (error) {
    return problem(`${file} is not a Sweeper state store (${(error as Error).message}): point state.connection.filename at the state store, or at a new file`);
  }
  return [];
}

/** A Postgres state store: it must accept connections, and not be a read-only standby. */
async function checkPostgresStore(config: LoadedConfig): Promise<Problem[]> {
  const db = openStore(config.state);
  try {
    const rows = (await db.raw('show transaction_read_only')) as { rows: { transaction_read_only: string }[] };
    if (rows.rows[0]?.transaction_read_only === 'on') {
      return [{ file: config.displayFile, path: 'state.connection', message: 'the Postgres state store is read-only (a standby?): point state.connection at the primary' }];
    }
    return [];
  } catch (error) {
    return [{ file: config.displayFile, path: 'state.connection', message: `cannot connect to the Postgres state store: ${(error as Error).message}: check the connection settings and that the database is up` }];
  } finally {
    await db.destroy();
  }
}

/**
 * Whether the state store opens and is writable, without creating or changing anything: `validate`
 * checks it, and `start` refuses what it finds before it opens the store.
 */
export async function checkStateStore(config: LoadedConfig): Promise<Problem[]> {
  if (storeDialect(config.state.client) === 'pg') return checkPostgresStore(config);
  const conn = config.state.connection;
  const file = typeof conn === 'object' && typeof conn.filename === 'string' ? conn.filename : null;
  if (!file || file === ':memory:' || file.startsWith('file:')) return [];
  return checkSqliteStore(file, config);
}
