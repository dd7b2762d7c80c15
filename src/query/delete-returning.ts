import type { Knex } from 'knex';

/**
 * `del`, a DELETE without RETURNING of its own, returning `columns` of the rows it removes (a
 * dialect with `returning`): what a files archive writes, so that the records are read once, by the
 * statement that deletes them.
 */
export function deleteReturningStatement(db: Knex, del: Knex.QueryBuilder, columns: Knex.Raw[]): Knex.Raw {
  const { sql, bindings } = del.toSQL();
  return db.raw(`${sql} returning ${columns.map(() => '?').join(', ')}`, [...(bindings as Knex.RawBinding[]), ...columns]);
}
