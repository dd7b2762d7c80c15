import type { Knex } from 'knex';
import { SweeperError } from '../errors';
import type { Dialect } from './dialect';
import { mysql } from './mysql';
import { postgres } from './postgres';
import { sqlite } from './sqlite';

export type { Dialect, DialectCapabilities, ErrorClass, KnexConnectionConfig, RawFragment } from './dialect';

/** Every supported database; a new one is one module and one line here. */
export const DIALECTS: readonly Dialect[] = [sqlite, postgres, mysql];

const byClient = new Map<string, Dialect>(DIALECTS.flatMap((d) => d.clients.map((client) => [client, d] as const)));

/** Every config `client` Sweeper accepts, in the order of DIALECTS. */
export const SUPPORTED_CLIENTS: readonly string[] = [...byClient.keys()];

/** `one of: "better-sqlite3", "sqlite3" (SQLite); "pg", ...`: what to write instead of an unsupported client. */
export function supportedClientsText(): string {
  return `one of: ${DIALECTS.map((d) => `${d.clients.map((c) => `"${c}"`).join(', ')} (${d.label})`).join('; ')}`;
}

/** The dialect a config `client` chooses, or undefined. */
export function findDialect(client: string): Dialect | undefined {
  return byClient.get(client);
}

/** The dialect a config `client` chooses; throws an INVALID_CONFIG error listing the supported ones. */
export function dialectForClient(client: string): Dialect {
  const dialect = byClient.get(client);
  if (!dialect) {
    throw new SweeperError('INVALID_CONFIG', `client "${client}" is not supported: use ${supportedClientsText()}`, { context: { client } });
  }
  return dialect;
}

/** The dialect of an open knex instance or transaction (opened by a dialect, so its client is one of the table's). */
export function dialectOfKnex(db: Knex): Dialect {
  const client: unknown = (db.client as { config?: { client?: unknown } }).config?.client;
  return dialectForClient(typeof client === 'string' ? client : String(client));
}
