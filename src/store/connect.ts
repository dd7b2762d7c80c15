import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { ConnectionConfig } from '../config/schema';
import { dialectForClient, type Dialect } from '../dialects';
import { ConfigError, driverErrorCode, SweeperError, type Problem } from '../errors';

/** The dialect of the state store's `client`. */
export function storeDialect(config: ConnectionConfig): Dialect {
  return dialectForClient(config.client);
}

/** Opens the state store, the way its dialect opens stores (SQLite: WAL, one connection). */
export function openStore(config: ConnectionConfig): Knex {
  return storeDialect(config).openStore(config);
}

const FILENAME = 'state.connection.filename';
const MOVE_HINT = `or point ${FILENAME} to a folder this user may write`;

/** The file of an embedded state store (SQLite); null for a server and `:memory:`. */
function storeFile(config: ConnectionConfig): string | null {
  return storeDialect(config).databaseFile(config.connection);
}

/** Why this process may not write `file` (a folder needs search permission too), or null. */
function notWritable(file: string, folder: boolean): string | null {
  try {
    accessSync(file, constants.R_OK | constants.W_OK | (folder ? constants.X_OK : 0));
    return null;
  } catch (error) {
    return driverErrorCode(error);
  }
}

/**
 * What keeps the SQLite state store from being opened for writing, found without opening it (and
 * without creating anything), so `validate` can report it: the file, when it exists, must be readable
 * and writable; its folder writable, since SQLite writes the -wal and -shm files beside it; a folder
 * that does not exist yet must be creatable (Sweeper creates its own store, never a target).
 */
export function storeFileProblems(config: ConnectionConfig, configFile: string): Problem[] {
  const file = storeFile(config);
  if (!file) return [];
  const problem = (message: string): Problem[] => [{ file: configFile, path: FILENAME, message }];
  const folder = path.dirname(file);
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) return problem(`the state store ${file} is a folder: name a file in it`);
    const code = notWritable(file, false);
    if (code) return problem(`the SQLite state store ${file} is not writable by this user (${code}): make it writable, ${MOVE_HINT}`);
  }
  let existing = folder;
  while (!existsSync(existing)) existing = path.dirname(existing);
  if (!statSync(existing).isDirectory()) {
    return problem(`the folder ${folder} of the state store cannot be created: ${existing} is a file, not a folder; point ${FILENAME} to a folder this user may write`);
  }
  const code = notWritable(existing, true);
  if (!code) return [];
  if (existing !== folder) {
    return problem(`the folder ${folder} of the state store does not exist and cannot be created: ${existing} is not writable by this user (${code}): create it, ${MOVE_HINT}`);
  }
  return problem(`the folder ${folder} of the SQLite state store is not writable by this user (${code}): SQLite writes the store and its -wal file there; make it writable, ${MOVE_HINT}`);
}

/** Creates the folder of a SQLite state store (Sweeper creates its own store, never a target); call after checkStateStore. */
export function createStoreFolder(config: ConnectionConfig): void {
  const file = storeFile(config);
  if (file) mkdirSync(path.dirname(file), { recursive: true });
}

/**
 * The error to report when the state store fails at its first use (opening, migrating): a store that
 * cannot be opened, reached or written becomes a ConfigError naming `state` with the store and what to
 * do, without a stack trace; any other error is returned as it is.
 */
export function storeOpenError(error: unknown, config: ConnectionConfig, configFile: string): unknown {
  if (error instanceof SweeperError) return error;
  const dialect = storeDialect(config);
  const kind = dialect.classifyError(error);
  if (kind !== 'unavailable' && kind !== 'permission' && kind !== 'not-a-database') return error;
  const code = driverErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const file = storeFile(config);
  const fix = kind === 'not-a-database' ? `it is not a readable ${dialect.label} database: point ${FILENAME} to the state store, or move this file away` : `make it and its folder writable, ${MOVE_HINT}`;
  const problem: Problem = file
    ? { file: configFile, path: FILENAME, message: `cannot open the ${dialect.label} state store ${file} (${code}: ${message}): ${fix}` }
    : {
        file: configFile,
        path: 'state.connection',
        message: `cannot open the state store (${code}: ${message}): check state.connection, that the database is up, and that its user may create tables`,
      };
  return new ConfigError([problem]);
}
