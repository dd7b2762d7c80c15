import type { Knex } from 'knex';
import type { Dialect } from '../dialects';

/**
 * Inserts rows into `table` in as few statements as the dialect allows: each multi-row INSERT stays
 * within the driver's bound values and the database's rows per statement (SQLite's compound SELECT).
 * Archive copies and restores of any batch size go through here.
 */
export async function insertRows(db: Knex | Knex.Transaction, dialect: Dialect, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = new Set(rows.flatMap((row) => Object.keys(row))).size;
  const perStatement = Math.max(1, Math.min(dialect.maxRowsPerInsert, Math.floor(dialect.maxBoundValues / Math.max(1, columns))));
  const into = db.raw(dialect.quoteIdentifier(table));
  for (let i = 0; i < rows.length; i += perStatement) await db.into(into).insert(rows.slice(i, i + perStatement));
}
