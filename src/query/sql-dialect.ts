import type { Knex } from 'knex';
import type { Dialect } from '../targets/schema';

/**
 * What the SQL Sweeper builds for a target differs in by dialect: how identifiers are quoted and how
 * many values one statement may bind. A later dialect (MySQL: backticks) adds its case here.
 */

/** Most bound values one statement may have: SQLite's SQLITE_MAX_VARIABLE_NUMBER (3.32+), Postgres's wire limit. */
export const MAX_BOUND_VALUES: Record<Dialect, number> = { sqlite: 32766, pg: 65535 };

/**
 * A table, column or alias name as SQL: in double quotes, a double quote inside doubled (SQL standard,
 * SQLite and Postgres alike), so any real name works: spaces, dots, " as ", quotes, unicode.
 * knex turns every `?` of a Postgres statement into `$n`, even inside quotes, so there a `?` is
 * spelled as a Unicode escape (`U&"a\003Fb"`); SQLite statements are not rewritten.
 */
export function quoteIdentifier(dialect: Dialect, name: string): string {
  const doubled = name.replace(/"/g, '""');
  if (dialect === 'pg' && doubled.includes('?'))
    return `U&"${doubled.replace(/\\/g, '\\\\').replace(/\?/g, '\\003F')}"`;
  return `"${doubled}"`;
}

/** Anything that makes knex raw SQL: a knex instance, a transaction, or a query builder's client. */
export interface RawMaker {
  raw(sql: string): Knex.Raw;
}

/**
 * An identifier as a knex Raw without bindings: knex inserts it as it is, never splitting it on "."
 * or " as " the way it does with identifier strings. Use it wherever knex takes a column or table.
 */
export function identifier(knex: RawMaker, dialect: Dialect, ...parts: string[]): Knex.Raw {
  return knex.raw(parts.map((p) => quoteIdentifier(dialect, p)).join('.'));
}

/** `"table" as "alias"`, for `from`. */
export function tableAs(knex: RawMaker, dialect: Dialect, table: string, alias: string): Knex.Raw {
  return knex.raw(`${quoteIdentifier(dialect, table)} as ${quoteIdentifier(dialect, alias)}`);
}

/** `"alias"."column" as "name"`, for `select`. */
export function selectAs(knex: RawMaker, dialect: Dialect, ref: [string, string], name: string): Knex.Raw {
  return knex.raw(`${ref.map((p) => quoteIdentifier(dialect, p)).join('.')} as ${quoteIdentifier(dialect, name)}`);
}

/** The dialect of a knex instance, for callers that have no target schema at hand. */
export function dialectOfKnex(knex: Knex | Knex.Transaction): Dialect {
  return (knex.client as { dialect?: string }).dialect === 'postgresql' ? 'pg' : 'sqlite';
}

/**
 * `where (<refs>) in (<source>)` for one column or a row value. `source` is a subquery, or key
 * tuples, every value bound: SQLite takes a row-value list only as `values (..), (..)`, Postgres
 * wants the plain list (in `values` its untyped parameters would turn into text).
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
  const rhs = refs.length > 1 && dialect === 'sqlite' ? `values ${tuples}` : tuples;
  qb.whereRaw(`${lhs} in (${rhs})`, [...refs, ...values] as Knex.RawBinding[]);
}
