import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Problem } from '../errors';
import { openStore, storeDialect } from '../store/connect';
import type { LoadedConfig } from './load';

/** The nearest folder above `file` that exists (the one SQLite creates it in, once its parents are made). */
function nearestFolder(file: string): string {
  let dir = path.dirname(file);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

function writable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EACCES' || (error as NodeJS.ErrnoException).code === 'EROFS') return false;
    throw error;
  }
}

/** A SQLite state store: the file, or the folder it is created in, must be writable; an existing file must be SQLite. */
function checkSqliteStore(file: string, config: LoadedConfig): Problem[] {
  const problem = (message: string): Problem[] => [{ file: config.displayFile, path: 'state.connection.filename', message }];
  const fix = 'make it writable for this user, or point state.connection.filename at a writable folder';
  const folder = nearestFolder(file);
  if (!statSync(folder).isDirectory()) return problem(`${folder} is not a folder, so the state store ${file} cannot be created there: ${fix}`);
  // SQLite writes the -wal and -shm files beside the database: the folder must be writable too.
  if (!writable(folder)) return problem(`cannot write the state store ${file}: the folder ${folder} is not writable: ${fix}`);
  if (!existsSync(file)) return [];
  if (!writable(file)) return problem(`cannot write the state store ${file}: the file is read-only: ${fix}`);
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
