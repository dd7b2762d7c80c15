import knex, { Knex } from 'knex';
import type { ConnectionConfig } from '../config/schema';

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
    return knex({ pool: { min: 0, max: 6 }, ...rest, client: 'pg', connection: connection as Knex.StaticConnectionConfig });
  }
  return knex({
    ...rest,
    client: 'better-sqlite3',
    connection: connection as Knex.StaticConnectionConfig,
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { pragma(sql: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        try {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          conn.pragma('busy_timeout = 10000');
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
}
