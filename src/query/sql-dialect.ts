import type { Knex } from 'knex';
import type { Dialect } from '../dialects';

/**
 * Identifiers and key lists as knex Raw, in the target's dialect (quoting and row-value lists are the
 * dialect's; see src/dialects).
 */

/** Anything that makes knex raw SQL: a knex instance, a transaction, or a query builder's client. */
export interface RawMaker {
  raw(sql: string): Knex.Raw;
}

/**
 * An identifier as a knex Raw without bindings: knex inserts it as it is, never splitting it on "."
 * or " as " the way it does with identifier strings. Use it wherever knex takes a column or table.
 */
export function identifier(knex: RawMaker, dialect: Dialect, ...parts: string[]): Knex.Raw {
  return knex.raw(parts.map((p) => dialect.quoteIdentifier(p)).join('.'));
}

/** `"table" as "alias"`, for `from`. */
export function tableAs(knex: RawMaker, dialect: Dialect, table: string, alias: string): Knex.Raw {
  return knex.raw(`${dialect.quoteIdentifier(table)} as ${dialect.quoteIdentifier(alias)}`);
}

/** `"alias"."column" as "name"`, for `select`. */
export function selectAs(knex: RawMaker, dialect: Dialect, ref: [string, string], name: string): Knex.Raw {
  return knex.raw(`${ref.map((p) => dialect.quoteIdentifier(p)).join('.')} as ${dialect.quoteIdentifier(name)}`);
}

/**
 * `where (<refs>) in (<source>)` for one column or a row value. `source` is a subquery, or key
 * tuples, every value bound (a row-value list as the dialect takes it).
 */
export function whereTupleIn(
  qb: Knex.QueryBuilder,
  dialect: Dialect,
  refs: Knex.Raw[],
  source: Knex.QueryBuilder | unknown[][],
): void {
  const list = (marker: string, n: number): string => Array.from({ length: n }, () => marker).join(', ');
  const lhs = refs.length === 1 ? '??' : `(${list('??', refs.length)})`;
  if (!Array.isArray(source)) {
    qb.whereRaw(`${lhs} in ?`, [...refs, source]);
    return;
  }
  if (source.length === 0) {
    qb.whereRaw('1 = 0');
    return;
  }
  const values = refs.length === 1 ? source.map((k) => k[0]) : source.flat();
  const tuple = refs.length === 1 ? '?' : `(${list('?', refs.length)})`;
  const tuples = list(tuple, source.length);
  const rhs = refs.length > 1 ? dialect.rowValueList(tuples) : tuples;
  qb.whereRaw(`${lhs} in (${rhs})`, [...refs, ...values] as Knex.RawBinding[]);
}
