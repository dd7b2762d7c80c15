import type { Knex } from 'knex';
import type { Dialect } from '../dialects';
import type { Scalar } from './condition';

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

/** Most key values one statement binds as separate values: well inside every driver's limit beside a condition's own. */
export const MAX_KEY_VALUES = 10000;

/** Whether whereTupleIn binds a list of keys of `keyColumns` columns as one array value (`= ANY(?)`). */
export function bindsKeysAsOneValue(dialect: Dialect, keyColumns: number): boolean {
  return keyColumns === 1 && dialect.capabilities.arrayBinding;
}

/**
 * How many keys of `keyColumns` columns one statement takes as a list (whereTupleIn): all of them
 * when they are bound as one array value, else MAX_KEY_VALUES values' worth.
 */
export function keysPerList(dialect: Dialect, keyColumns: number): number {
  if (bindsKeysAsOneValue(dialect, keyColumns)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor(MAX_KEY_VALUES / Math.max(1, keyColumns)));
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
  if (bindsKeysAsOneValue(dialect, refs.length)) {
    // One array value for the whole list (`= ANY(?)`): one parameter whatever the batch size.
    const keys = dialect.inList(false, source.map((k) => k[0]) as Scalar[]);
    qb.whereRaw(keys.sql, [refs[0]!, ...keys.bindings]);
    return;
  }
  const values = refs.length === 1 ? source.map((k) => k[0]) : source.flat();
  const tuple = refs.length === 1 ? '?' : `(${list('?', refs.length)})`;
  const tuples = list(tuple, source.length);
  const rhs = refs.length > 1 ? dialect.rowValueList(tuples) : tuples;
  qb.whereRaw(`${lhs} in (${rhs})`, [...refs, ...values] as Knex.RawBinding[]);
}
