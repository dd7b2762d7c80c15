import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import type { TargetSchema } from './schema';

/**
 * Reads every table of a target through its dialect: columns with their kind, primary key in key
 * order, and the foreign keys each table declares with their ON DELETE action.
 */
export async function introspectTarget(knex: Knex, dialect: Dialect): Promise<TargetSchema> {
  return { dialect, entities: await dialect.introspect(knex) };
}
