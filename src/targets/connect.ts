import { knex, type Knex } from 'knex';
import type BetterSqlite3 from 'better-sqlite3';
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
 * Opens a knex instance for a target. SQLite always goes through better-sqlite3 with foreign keys
 * enforced and a busy timeout; Postgres gets a small pool that may shrink to nothing when idle.
 * Connecting is lazy: nothing touches the database until the first query.
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
      try {
        const db = conn as BetterSqlite3.Database;
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
      } catch (error) {
        done(
          new SweeperError(
            'TARGET_UNAVAILABLE',
            `target "${name}": could not configure the SQLite connection: ${(error as Error).message}`,
            { cause: error },
          ),
          conn,
        );
        return;
      }
      if (userAfterCreate) userAfterCreate(conn, done);
      else done(null, conn);
    };
    return knex({
      ...rest,
      client: 'better-sqlite3',
      // A bare string is a file name.
      connection: (typeof connection === 'string'
        ? { filename: connection }
        : connection) as Knex.Config['connection'],
      useNullAsDefault: true,
      pool: { ...userPool, afterCreate },
    });
  }
  return knex({
    ...rest,
    client: 'pg',
    connection: connection as Knex.Config['connection'],
    pool: { min: 0, max: 4, ...userPool },
  });
}
