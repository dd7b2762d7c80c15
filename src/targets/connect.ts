import type { Knex } from 'knex';
import { dialectForClient, type Dialect, type KnexConnectionConfig } from '../dialects';
import { SweeperError } from '../errors';

/** The dialect a target's `client` chooses; an unsupported client is an INVALID_CONFIG error naming the target. */
export function targetDialect(name: string, config: KnexConnectionConfig): Dialect {
  try {
    return dialectForClient(config.client);
  } catch (error) {
    throw new SweeperError('INVALID_CONFIG', `target "${name}": ${(error as Error).message}`, { cause: error, context: { target: name } });
  }
}

/**
 * Opens a knex instance for a target, the way its dialect opens targets (SQLite: the file must exist,
 * foreign keys on; see src/dialects). Connecting is lazy: nothing touches the database until the
 * first query.
 */
export function openTarget(name: string, config: KnexConnectionConfig): Knex {
  return targetDialect(name, config).openTarget(name, config);
}
