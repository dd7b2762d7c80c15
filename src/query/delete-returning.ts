import type { Knex } from 'knex';
import { rowsOf } from './raw-rows';

/**
 * Runs `del`, a DELETE without RETURNING of its own, returning `columns` of the rows it removed (a
 * dialect with `returning`): what a files archive writes, so that the records are read once, by the
 * statement that deletes them.
 */
export async function deleteReturning(db: Knex, del: Knex.QueryBuilder, columns: Knex.Raw[]): Promise<Record<string, unknown>[]> {
  const { sql, bindings } = del.toSQL();
  const result: unknown = await db.raw(`${sql} returning ${columns.map(() => '?').join(', ')}`, [...(bindings as Knex.RawBinding[]), ...columns]);
  return rowsOf<Record<string, unknown>>(result);
}
