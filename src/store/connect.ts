import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import knex, { Knex } from 'knex';
import type { ConnectionConfig } from '../config/schema';
import { ConfigError, driverErrorCode, SweeperError, type Problem } from '../errors';
import { sqliteWorkerClient } from '../dialects/sqlite-worker-client';
import { knexLog } from '../targets/connect';

export type StoreDialect = 'sqlite' | 'pg';

export function storeDialect(client: string): StoreDialect {
  return client === 'pg' || client === 'postgres' || client === 'postgresql' ? 'pg' : 'sqlite';
}

/** The dialect of an open knex instance or transaction of the state store. */
export function dialectOfStore(db: Knex): StoreDialect {
  const client: unknown = (db.client as { config?: { client?: unknown } }).config?.client;
  return storeDialect(typeof client === 'string' ? client : '');
}

/**
 * Opens the state store. SQLite runs in WAL mode with synchronous=NORMAL: a checkpoint after every
 * batch must be cheap, and WAL keeps committed checkpoints across a process crash.
 */
export function openStore(config: ConnectionConfig): Knex {
  const { client: _client, connection, ...rest } = config;
  if (storeDialect(config.client) === 'pg') {
    return knex({ log: knexLog, pool: { min: 0, max: 6 }, ...rest, client: 'pg', connection: connection as Knex.StaticConnectionConfig });
  }
  return knex({
    log: knexLog,
    ...rest,
    client: sqliteWorkerClient({
      fileMustExist: false,
      pragmas: ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'busy_timeout = 10000'],
      checkpointAfterCommit: false,
    }) as unknown as typeof Knex.Client,
    connection: connection as Knex.StaticConnectionConfig,
    useNullAsDefault: true,
    pool: { min: 1, max: 1 },
  });
}

const FILENAME = 'state.connection.filename';
const MOVE_HINT = `or point ${FILENAME} to a folder this user may write`;

/** The file of a SQLite state store; null for Postgres and `:memory:`. */
function sqliteStoreFile(config: ConnectionConfig): string | null {
  const conn = config.connection;
  if (storeDialect(config.client) !== 'sqlite' || typeof conn !== 'object' || typeof conn.filename !== 'string') return null;
  return conn.filename === ':memory:' || conn.filename.startsWith('file:') ? null : path.resolve(conn.filename);
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
  const file = sqliteStoreFile(config);
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
  const file = sqliteStoreFile(config);
  if (file) mkdirSync(path.dirname(file), { recursive: true });
}

/** Driver codes of a state store that cannot be opened, reached or written (not of a bad statement). */
const OPEN_FAILURES = [
  /^SQLITE_(CANTOPEN|READONLY|PERM|NOTADB|CORRUPT|FULL|IOERR)/,
  /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|EACCES|EROFS)$/,
  // Postgres: connection exceptions, authentication, unknown database, no permission to create tables.
  /^(08...|28...|3D000|42501)$/,
];

/**
 * The error to report when the state store fails at its first use (opening, migrating): a store that
 * cannot be opened, reached or written becomes a ConfigError naming `state` with the store and what to
 * do, without a stack trace; any other error is returned as it is.
 */
export function storeOpenError(error: unknown, config: ConnectionConfig, configFile: string): unknown {
  if (error instanceof SweeperError) return error;
  const code = driverErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const cannotOpenFolder = error instanceof TypeError && message.startsWith('Cannot open database');
  if (!cannotOpenFolder && !OPEN_FAILURES.some((pattern) => pattern.test(code))) return error;
  const file = sqliteStoreFile(config);
  const notStore = /^SQLITE_(NOTADB|CORRUPT)/.test(code);
  const fix = notStore ? `it is not a readable SQLite database: point ${FILENAME} to the state store, or move this file away` : `make it and its folder writable, ${MOVE_HINT}`;
  const problem: Problem = file
    ? { file: configFile, path: FILENAME, message: `cannot open the SQLite state store ${file} (${code}: ${message}): ${fix}` }
    : {
        file: configFile,
        path: 'state.connection',
        message: `cannot open the state store (${code}: ${message}): check state.connection, that the database is up, and that its user may create tables`,
      };
  return new ConfigError([problem]);
}
