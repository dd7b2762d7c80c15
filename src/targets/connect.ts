import { existsSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { knex, type Knex } from 'knex';
import { sqliteWorkerClient } from '../dialects/sqlite-worker-client';
import pg from 'pg';
import { SweeperError } from '../errors';
import type { Dialect } from './schema';

/** A target's knex options as they appear in the config: `client`, `connection`, and any other knex option. */
export interface TargetConnectionConfig {
  client: string;
  connection: unknown;
  [option: string]: unknown;
}

const clients: Record<string, Dialect> = {
  'better-sqlite3': 'sqlite',
  sqlite3: 'sqlite',
  pg: 'pg',
  postgres: 'pg',
  postgresql: 'pg',
};

/** The dialect of a knex client name; throws on a client Sweeper does not support. */
export function dialectOf(client: string): Dialect {
  const dialect = clients[client];
  if (!dialect) {
    throw new SweeperError(
      'INVALID_CONFIG',
      `client "${client}" is not supported: use "better-sqlite3" (SQLite) or "pg" (Postgres)`,
      { context: { client } },
    );
  }
  return dialect;
}

type AfterCreate = (conn: unknown, done: (err: Error | null, conn: unknown) => void) => void;

/**
 * knex's own log: it prints "Acquire connection error" with a stack trace on stderr, and then throws
 * the same error to the caller, which reports it with the target's or the store's name. Only that
 * duplicate is left out; knex's other warnings still reach stderr.
 */
export const knexLog: Knex.Config['log'] = {
  warn(message: unknown) {
    if (typeof message === 'string' && message.startsWith('Acquire connection error')) return;
    console.warn(`knex: ${typeof message === 'string' ? message : inspect(message)}`);
  },
};

/** Thrown when a target cannot be opened: `detail` says why without the target's name (for config problems). */
export function targetUnavailable(name: string, detail: string, cause?: unknown): SweeperError {
  return new SweeperError('TARGET_UNAVAILABLE', `target "${name}": ${detail}`, { cause, context: { target: name, detail } });
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * A SQLite target's results, read with safe integers (every integer a BigInt): a BigInt a JS number
 * holds exactly becomes a number again, so counts, flags and ordinary ids stay numbers; only integers
 * beyond 2^53 (snowflake ids) stay BigInt, exact through keyset paging, deletes and failure records.
 * Rows are fresh objects from the driver and are changed in place (rows only: not Buffers or Dates).
 */
export function narrowSafeIntegers(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= MAX_SAFE && value >= -MAX_SAFE ? Number(value) : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = narrowSafeIntegers(value[i]);
  } else if (Object.prototype.toString.call(value) === '[object Object]') {
    const row = value as Record<string, unknown>;
    for (const column of Object.keys(row)) if (typeof row[column] === 'bigint') row[column] = narrowSafeIntegers(row[column]);
  }
  return value;
}

/**
 * The better-sqlite3 connection of a SQLite target. The file must exist: Sweeper never creates a
 * target, and better-sqlite3 would create an empty one (knex cannot pass it `fileMustExist`), which
 * the job's checks would then blame ("not a table"). Integers are read as BigInt (safe integers, see
 * narrowSafeIntegers): a key beyond 2^53 must not be rounded.
 */
function sqliteConnection(name: string, connection: unknown): Knex.BetterSqlite3ConnectionConfig {
  const given = (typeof connection === 'string' ? { filename: connection } : (connection ?? {})) as {
    filename?: unknown;
    options?: Knex.BetterSqlite3ConnectionConfig['options'];
  };
  const filename = typeof given.filename === 'string' ? given.filename : '';
  if (filename === '') throw targetUnavailable(name, 'connection.filename is missing: name the SQLite file of the target');
  if (filename !== ':memory:' && !existsSync(filename)) {
    throw targetUnavailable(name, `SQLite file ${path.resolve(filename)} does not exist: Sweeper never creates a target; check connection.filename`);
  }
  return { ...given, filename, options: { ...given.options, safeIntegers: true } };
}

/** timestamp, timestamptz and date: Postgres keeps microseconds, a JS Date only milliseconds. */
const EXACT_TEXT_TYPES = new Set<number>([pg.types.builtins.TIMESTAMP, pg.types.builtins.TIMESTAMPTZ, pg.types.builtins.DATE]);

/**
 * A Postgres target's connection, reading timestamps and dates as the text Postgres sends: a key
 * holding one stays exact through keyset paging, the delete and failure records (a Date would drop the
 * microseconds, and a rounded key matches no row). int8 and numeric come as exact strings already.
 */
function pgConnection(connection: unknown): Knex.Config['connection'] {
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      EXACT_TEXT_TYPES.has(oid) ? (text: string) => text : pg.types.getTypeParser(oid, format as 'text'),
  };
  const given = typeof connection === 'string' ? { connectionString: connection } : (connection as Record<string, unknown>);
  return { ...given, types } as Knex.Config['connection'];
}

/**
 * Opens a knex instance for a target. SQLite always goes through better-sqlite3 with foreign keys
 * enforced, a busy timeout and safe integers; Postgres gets a small pool that may shrink to nothing
 * when idle (int8, numeric, timestamps and dates come back as exact text). Connecting is lazy:
 * nothing touches the database until the first query; a SQLite file that does not exist is refused here.
 */
export function openTarget(name: string, config: TargetConnectionConfig): Knex {
  let dialect: Dialect;
  try {
    dialect = dialectOf(config.client);
  } catch (error) {
    throw new SweeperError('INVALID_CONFIG', `target "${name}": ${(error as Error).message}`, {
      cause: error,
      context: { target: name },
    });
  }
  const { client: _client, connection, pool, ...rest } = config;
  const userPool = (pool ?? {}) as Record<string, unknown>;

  if (dialect === 'sqlite') {
    const userAfterCreate = userPool.afterCreate as AfterCreate | undefined;
    const afterCreate: AfterCreate = (conn, done) => {
      if (userAfterCreate) userAfterCreate(conn, done);
      else done(null, conn);
    };
    return knex({
      log: knexLog,
      ...rest,
      client: sqliteWorkerClient({ fileMustExist: true, pragmas: ['foreign_keys = ON', 'busy_timeout = 5000'], checkpointAfterCommit: true }) as unknown as typeof Knex.Client,
      connection: sqliteConnection(name, connection),
      useNullAsDefault: true,
      // On a failed statement knex inlines the bound values into the message, and cannot inline a
      // BigInt key (it throws a TypeError instead of the driver's error): keep the SQL with placeholders.
      compileSqlOnError: false,
      postProcessResponse: narrowSafeIntegers,
      pool: { ...userPool, afterCreate },
    });
  }
  return knex({
    log: knexLog,
    ...rest,
    client: 'pg',
    connection: pgConnection(connection),
    pool: { min: 0, max: 4, ...userPool },
  });
}
